"""What makes a step cheaper keeps its results honest: the allocator setting, channels-last
layout and bf16 autocast."""

from __future__ import annotations

import gc
import math
import weakref

import pytest
import torch
from torch import nn

from optim import precision as precision_module
from optim.allocator import hand_back_freed_memory, keep_freed_memory
from optim.augment import Augment
from optim.errors import ExciteError
from optim.excite import ExciteSettings, Network, excite
from optim.render import render

TINY = dict(weights="random", objective="relu2_2:2", paths=20, size=64, steps=3, augment=Augment(1, 64))


def test_glibc_keeps_freed_buffers_and_saying_so_twice_is_harmless():
    assert keep_freed_memory() is True  # this machine's Python runs on glibc
    assert keep_freed_memory() is True


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


def test_a_finished_run_hands_the_kept_buffers_back():
    keep_freed_memory()
    blocks = [torch.ones(4 * 2**20) for _ in range(40)]  # 16 MB each: from the heap, 640 MB
    del blocks
    kept = _resident_mb()
    assert hand_back_freed_memory() is True
    assert _resident_mb() < kept - 400  # most of the 640 MB went back to the system


def test_handing_back_frees_tensors_left_in_reference_cycles():
    class Holder:
        pass

    gc.disable()  # as between Python's rare full collections
    try:
        holder = Holder()
        holder.me, holder.tensor = holder, torch.ones(2**20)
        alive = weakref.ref(holder.tensor)
        del holder
        assert alive() is not None  # kept by its cycle
        hand_back_freed_memory()
        assert alive() is None
    finally:
        gc.enable()


def test_every_run_hands_its_buffers_back_when_it_ends(monkeypatch):
    import optim.excite

    calls = []
    monkeypatch.setattr(optim.excite, "hand_back_freed_memory", lambda: calls.append(1))
    excite(ExciteSettings(**TINY), device="cpu")
    assert calls == [1]


def test_bf16_runs_and_lands_near_fp32():
    fp32 = excite(ExciteSettings(**TINY, precision="fp32"), device="cpu")
    bf16 = excite(ExciteSettings(**TINY, precision="bf16"), device="cpu")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert math.isfinite(bf16.final_activation)
    assert bf16.final_activation == pytest.approx(fp32.final_activation, rel=0.25)  # bf16 rounding


def test_activations_are_measured_in_fp32_whatever_the_steps_ran_in():
    bf16 = excite(ExciteSettings(**TINY, precision="bf16"), device="cpu")
    network = Network(ExciteSettings(**TINY, precision="fp32"), torch.device("cpu"))
    with torch.no_grad():
        exact = float(network.objective(render(bf16.scene)[None]).mean())
    assert bf16.final_activation == pytest.approx(exact, rel=1e-5)


DENSE = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3))
DEPTHWISE = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3, groups=8))


@pytest.mark.parametrize(
    ("precision", "native", "net", "expected"),
    [
        ("auto", True, DENSE, torch.bfloat16),  # dense convolutions on bf16 hardware
        ("auto", True, DEPTHWISE, None),  # depthwise ones are slower in bf16, even there
        ("auto", False, DENSE, None),  # emulated bf16 is many times slower
        ("fp32", True, DENSE, None),  # a precision the user gave is kept
        ("bf16", False, DEPTHWISE, torch.bfloat16),
    ],
)
def test_auto_takes_bf16_only_where_it_pays(monkeypatch, precision, native, net, expected):
    monkeypatch.setattr(precision_module, "native_bf16", lambda device: native)
    assert precision_module.autocast_dtype(precision, torch.device("cpu"), net) == expected


def test_native_bf16_on_the_cpu_follows_its_flags(monkeypatch):
    monkeypatch.setattr(precision_module, "_cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert not precision_module.native_bf16(torch.device("cpu"))
    monkeypatch.setattr(precision_module, "_cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert precision_module.native_bf16(torch.device("cpu")) == torch.backends.mkldnn.is_available()
    assert not precision_module.native_bf16(torch.device("meta"))


def test_the_networks_know_their_convolutions():
    assert not precision_module.depthwise(Network(ExciteSettings(**TINY), torch.device("cpu")).net)
    mobilenet = ExciteSettings(**{**TINY, "model": "mobilenet_v2", "objective": "features.4:0"})
    network = Network(mobilenet, torch.device("cpu"))
    assert precision_module.depthwise(network.net)
    assert network.precision == "fp32"  # auto keeps MobileNetV2 in fp32


def test_unknown_precision_is_refused():
    with pytest.raises(ExciteError, match="unknown precision 'fp8'"):
        ExciteSettings(**TINY, precision="fp8")


def test_same_seed_same_drawing_with_channels_last():
    a, b = (excite(ExciteSettings(**TINY), device="cpu") for _ in range(2))
    assert (a.scene.points == b.scene.points).all()
