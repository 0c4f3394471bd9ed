"""Optimizer speed against the network it feeds, the renderer's share, and how close
strokes get to the unconstrained optimum.

Prints a table, then one JSON line with step_ms, step_fp32_ms, precision, network_floor_ms,
step_vs_floor, network_floor_glibc_default_ms, startup_s, showcase_minutes_estimate,
steps_per_s, renderer_share, stroke_vs_fourier_activation and finetune_1024_vs_256_step.

- step_ms: the write-up's recipe: 202 paths, 224 px canvas, vgg16 conv3_3 channel 37,
  4 augmented views of 224 px; a whole optimizer step (render, views, network, Adam), in
  the precision asked for (``--precision``, default ``auto`` as plotkit's own default;
  ``precision`` says what it ran in).
- step_fp32_ms: the same step in float32.
- network_floor_ms: the same truncated network alone, float32 in torchvision's own layout,
  forward and backward on a batch of the same shape, with plotkit's allocator settings
  (glibc keeps freed buffers), in this run. step_vs_floor: step_fp32_ms / network_floor_ms,
  so that both sides do the same arithmetic. The floor computes every channel of the layer;
  a step computes only the channel its objective reads (``optim.channels``), which is why
  a step can cost less than its floor.
- network_floor_glibc_default_ms: the floor in a process with glibc's default allocator.
- startup_s: from starting a Python process to the first finished step of the recipe.
- showcase_minutes_estimate: the 2500-step ``showcase-conv3_3-37`` recipe (202 strokes on
  500 px) at its measured step time, in the precision asked for.
- steps_per_s: 1000 / step_ms.
- renderer_share: render forward + backward time over the whole step time.
- stroke_vs_fourier_activation: the objective reached by strokes over the objective reached
  by the unconstrained reference, a decorrelated Fourier-parameterised image (as lucent's
  ``param.image(fft=True, decorrelate=True)``), after the same steps with the same
  augmentations; both measured on the clean image.
- finetune_1024_vs_256_step: a fine-tuning step on a 4 x 4 tiled 1024 px canvas over a
  base step on its 256 px tile.

Weights default to random (labelled in the output); pass --weights FILE or imagenet
where you have them, and --model/--objective to match (e.g. mobilenet_v2).

    python benchmarks/excite.py [--steps 100] [--weights random] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from optim.allocator import keep_freed_memory
from optim.augment import Augment
from optim.excite import ExciteResult, ExciteSettings, Network, excite, pick_device
from optim.fourier import FourierImage, InkImage
from optim.models import Truncated, load_model, resolve_layer
from optim.render import render
from optim.strokes import random_scene

FOURIER_LR = 0.05  # lucent's default for its images


def step_seconds(settings: ExciteSettings, device: str, skip: int = 2) -> dict[str, float]:
    """Mean seconds per step of each phase, from the progress callback's clock."""
    return timed_steps(settings, device, skip)[0]


def timed_steps(
    settings: ExciteSettings, device: str, skip: int = 2
) -> tuple[dict[str, float], ExciteResult]:
    """``step_seconds`` and the run's result."""
    marks: dict[str, list[float]] = {"base": [], "finetune": []}
    result = excite(settings, device=device, progress=lambda p: marks[p.phase].append(p.seconds))
    means = {}
    for phase, times in marks.items():
        times = times[skip:] if phase == "base" else times
        if len(times) >= 2:
            means[phase] = (times[-1] - times[0]) / (len(times) - 1)
    return means, result


def render_seconds(paths: int, size: int, device: str, repeat: int = 5) -> float:
    scene = random_scene(paths, size, size, generator=torch.Generator().manual_seed(0))
    scene.points = scene.points.to(device).requires_grad_(True)
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        render(scene).mean().backward()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return sorted(times[1:])[repeat // 2]


def network_floor_seconds(
    model: str, layer: str, batch: int, size: int, device: str, repeat: int = 6
) -> float:
    """Median seconds of the truncated network alone, forward and backward to its input."""
    net, _ = load_model(model, "random")
    node = resolve_layer(net, layer)
    truncated = Truncated(net, [node]).to(device)
    x0 = torch.rand(batch, 3, size, size, device=device)
    times = []
    for _ in range(repeat + 2):
        x = x0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        truncated(x)[node][:, 0].mean().backward()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return sorted(times[2:])[repeat // 2]


def _in_child(code: str) -> float:
    """A number a fresh Python process prints, for what must not share this process's state."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def startup_seconds(settings: ExciteSettings, device: str) -> float:
    """From launching a process to its first finished step."""
    code = (
        "import os; from optim.excite import ExciteSettings, excite; from optim.augment import Augment; "
        f"excite(ExciteSettings(**{_fields(settings)!r}), device={device!r}, "
        "progress=lambda p: (print(0, flush=True), os._exit(0)))"
    )
    t0 = time.perf_counter()
    _in_child(code)
    return time.perf_counter() - t0


def _fields(settings: ExciteSettings) -> dict:
    return {k: getattr(settings, k) for k in ("model", "weights", "objective", "paths", "size", "steps")}


def fourier_activation(settings: ExciteSettings, device: str) -> float:
    """The objective the unconstrained reference reaches, a decorrelated Fourier-parameterised
    image (lucent's ``param.image(fft=True, decorrelate=True)``), with the same steps and
    augmentations, measured on the clean image."""
    return pixel_optimum(settings, device)[0]


def pixel_optimum(
    settings: ExciteSettings,
    device: str,
    ink: float | None = None,
    palette: tuple[tuple[float, float, float], ...] | None = None,
) -> tuple[float, torch.Tensor]:
    """The reference's activation and its image, (3, size, size) in [0, 1]: the Fourier
    image, or with ``ink`` the best image inking that share of its pixels in black, or in
    the colours of ``palette`` (``optim.fourier.InkImage``, measured as drawn: each pixel
    one pen's ink or paper)."""
    network = Network(settings, torch.device(device))
    torch.manual_seed(settings.seed)
    pens = None if palette is None else torch.tensor(palette)
    image = (FourierImage(settings.size) if ink is None else InkImage(settings.size, ink, pens)).to(device)
    adam = torch.optim.Adam(image.parameters(), lr=FOURIER_LR)
    for step in range(settings.steps):
        adam.zero_grad()
        picture = image() if ink is None else image(step / settings.steps)
        (-network.objective(settings.augment(picture)).mean()).backward()
        adam.step()
    with torch.no_grad():
        final = image() if ink is None else image.hard()
        return float(network.objective(final[None], exact=True).mean()), final.cpu()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=100, help="steps for the strokes vs Fourier image comparison"
    )
    parser.add_argument("--model", default="vgg16")
    parser.add_argument("--objective", default="conv3_3:37")
    parser.add_argument("--weights", default="random")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto", help="auto, fp32 or bf16, for the recipe's steps")
    args = parser.parse_args()
    device = str(pick_device(args.device))
    common = dict(model=args.model, weights=args.weights, objective=args.objective)
    layer = args.objective.split(":")[0]

    floor_default = _in_child(
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from excite import network_floor_seconds as f; "
        f"print(f({args.model!r}, {layer!r}, 4, 224, {device!r}))"
    )
    keep_freed_memory()
    base = ExciteSettings(paths=202, size=224, steps=14, precision=args.precision, **common)
    speed32 = step_seconds(replace(base, precision="fp32"), device)["base"]
    timed, result = timed_steps(base, device)
    speed, precision = timed["base"], result.precision
    floor = network_floor_seconds(args.model, layer, 4, 224, device)
    share = render_seconds(202, 224, device) / speed
    showcase = ExciteSettings(paths=202, size=500, steps=10, precision=args.precision, **common)
    showcase_minutes = 2500 * step_seconds(showcase, device)["base"] / 60
    startup = startup_seconds(base, device)

    tiled = ExciteSettings(paths=202, size=256, steps=6, tile=4, finetune_steps=6, **common)
    phases = step_seconds(tiled, device)
    finetune_ratio = phases["finetune"] / phases["base"]

    compare = ExciteSettings(paths=202, size=224, steps=args.steps, augment=Augment(), **common)
    strokes = excite(compare, device=device)
    pixels = fourier_activation(compare, device)
    ratio = strokes.final_activation / pixels if pixels > 0 else float("nan")

    results = {
        "step_ms": 1000 * speed,
        "precision": precision,
        "step_fp32_ms": 1000 * speed32,
        "network_floor_ms": 1000 * floor,
        "step_vs_floor": speed32 / floor,
        "network_floor_glibc_default_ms": 1000 * floor_default,
        "startup_s": startup,
        "showcase_minutes_estimate": showcase_minutes,
        "steps_per_s": 1 / speed,
        "renderer_share": share,
        "stroke_vs_fourier_activation": ratio,
        "finetune_1024_vs_256_step": finetune_ratio,
    }
    print(f"device {device}, torch {torch.__version__}, weights: {strokes.weights_label}")
    print(f"{'measure':44} {'value':>10}  target")
    recipe = f"step, ms (202 paths, 224, {args.objective}, 4 views), {precision}"
    print(f"{recipe:44} {1000 * speed:10.0f}")
    print(f"{'the same step in fp32, ms':44} {1000 * speed32:10.0f}")
    print(f"{'network alone, fp32, ms (the floor)':44} {1000 * floor:10.0f}")
    print(f"{'fp32 step / floor':44} {speed32 / floor:10.2f}  <= 1.1")
    print(f"{'floor with glibc defaults, ms':44} {1000 * floor_default:10.0f}")
    print(f"{'process start to first step, s':44} {startup:10.1f}")
    print(f"{'showcase-conv3_3-37 (2500 steps), minutes':44} {showcase_minutes:10.1f}  < 20")
    print(f"{'renderer share of a step':44} {share:10.1%}  <= 25%")
    print(f"{'fine-tune step 1024 / base step 256':44} {finetune_ratio:10.2f}  <= 1.5")
    print(f"{'activation: strokes ' + format(strokes.final_activation, '.4g'):44}")
    print(f"{'activation: Fourier image ' + format(pixels, '.4g'):44}")
    print(f"{'strokes / Fourier image after ' + str(args.steps) + ' steps':44} {ratio:10.2f}")
    results.update(
        weights=strokes.weights_label,
        device=device,
        steps=args.steps,
        stroke_activation=strokes.final_activation,
        fourier_activation=pixels,
    )
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()}))


if __name__ == "__main__":
    main()
