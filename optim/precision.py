"""The network's arithmetic: float32, or bfloat16 under autocast where it pays.

bf16 halves a dense convolution's cost on hardware that computes it natively (GPUs with
bf16, CPUs with avx512_bf16 or AMX): VGG16 to conv3_3 on 4 views of 224 px took 0.42 s
against 0.85 s on a 2-core avx512_bf16 CPU. Without native support oneDNN emulates it, many
times slower; and depthwise convolutions (MobileNetV2) were slower in bf16 even with it
(95 ms against 60 ms). ``auto`` takes bf16 only where both conditions favour it.
Measurements (initial and final activation) are always made in float32, whatever the steps use.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

PRECISIONS = ("auto", "fp32", "bf16")
CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})  # /proc/cpuinfo names of native bf16


@cache
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 convolutions in hardware rather than emulating them."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return torch.backends.mkldnn.is_available() and bool(_cpu_flags() & CPU_BF16_FLAGS)
    return False


def depthwise(net: nn.Module) -> bool:
    """Whether the network has grouped convolutions, which bf16 makes slower."""
    return any(isinstance(m, nn.Conv2d) and m.groups > 1 for m in net.modules())


def autocast_dtype(precision: str, device: torch.device, net: nn.Module) -> torch.dtype | None:
    """The autocast type the steps run in (None: plain float32)."""
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and native_bf16(device) and not depthwise(net):
        return torch.bfloat16
    return None
