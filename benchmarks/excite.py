"""Optimizer speed, the renderer's share of it, and how close strokes get to pixels.

Prints a table, then one JSON line with steps_per_s, renderer_share,
stroke_vs_pixel_activation and finetune_1024_vs_256_step.

- steps_per_s: 202 paths, 224 px canvas, vgg16 conv3_3 channel 37, 4 augmented views.
- renderer_share: render forward + backward time over the whole step time.
- stroke_vs_pixel_activation: the objective reached by strokes over the objective reached
  by a plain pixel image (Adam on raw pixels, clamped to [0, 1]) after the same steps,
  with the same augmentations; both measured on the clean image.
- finetune_1024_vs_256_step: a fine-tuning step on a 4 x 4 tiled 1024 px canvas over a
  base step on its 256 px tile.

Weights default to random (labelled in the output); pass --weights FILE or imagenet
where you have them, and --model/--objective to match (e.g. mobilenet_v2).

    python benchmarks/excite.py [--steps 100] [--weights random] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from optim.augment import Augment
from optim.excite import ExciteSettings, Network, excite, pick_device
from optim.render import render
from optim.strokes import random_scene


def step_seconds(settings: ExciteSettings, device: str, skip: int = 2) -> dict[str, float]:
    """Mean seconds per step of each phase, from the progress callback's clock."""
    marks: dict[str, list[float]] = {"base": [], "finetune": []}
    excite(settings, device=device, progress=lambda p: marks[p.phase].append(p.seconds))
    means = {}
    for phase, times in marks.items():
        times = times[skip:] if phase == "base" else times
        if len(times) >= 2:
            means[phase] = (times[-1] - times[0]) / (len(times) - 1)
    return means


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


def pixel_activation(settings: ExciteSettings, device: str) -> float:
    """The objective a free pixel image reaches with the same steps and augmentations."""
    network = Network(settings, torch.device(device))
    torch.manual_seed(settings.seed)
    image = torch.full((3, settings.size, settings.size), 0.5, device=device)
    image += 0.01 * torch.randn_like(image)
    image.requires_grad_(True)
    adam = torch.optim.Adam([image], lr=0.02)
    for _ in range(settings.steps):
        adam.zero_grad()
        (-network.objective(settings.augment(image)).mean()).backward()
        adam.step()
        with torch.no_grad():
            image.clamp_(0, 1)
    with torch.no_grad():
        return float(network.objective(image[None]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps for the stroke vs pixel comparison")
    parser.add_argument("--model", default="vgg16")
    parser.add_argument("--objective", default="conv3_3:37")
    parser.add_argument("--weights", default="random")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = str(pick_device(args.device))
    common = dict(model=args.model, weights=args.weights, objective=args.objective)

    base = ExciteSettings(paths=202, size=224, steps=8, **common)
    speed = step_seconds(base, device)["base"]
    share = render_seconds(202, 224, device) / speed

    tiled = ExciteSettings(paths=202, size=256, steps=6, tile=4, finetune_steps=6, **common)
    phases = step_seconds(tiled, device)
    finetune_ratio = phases["finetune"] / phases["base"]

    compare = ExciteSettings(paths=202, size=224, steps=args.steps, augment=Augment(), **common)
    strokes = excite(compare, device=device)
    pixels = pixel_activation(compare, device)
    ratio = strokes.final_activation / pixels if pixels > 0 else float("nan")

    results = {
        "steps_per_s": 1 / speed,
        "renderer_share": share,
        "stroke_vs_pixel_activation": ratio,
        "finetune_1024_vs_256_step": finetune_ratio,
    }
    print(f"device {device}, torch {torch.__version__}, weights: {strokes.weights_label}")
    print(f"{'measure':44} {'value':>10}  target")
    print(f"{'steps/s (202 paths, 224, ' + args.objective + ', 4 views)':44} {1 / speed:10.2f}")
    print(f"{'renderer share of a step':44} {share:10.1%}  <= 25%")
    print(f"{'fine-tune step 1024 / base step 256':44} {finetune_ratio:10.2f}  <= 1.5")
    print(f"{'activation: strokes ' + format(strokes.final_activation, '.4g'):44}")
    print(f"{'activation: pixels ' + format(pixels, '.4g'):44}")
    print(f"{'strokes / pixels after ' + str(args.steps) + ' steps':44} {ratio:10.2f}  >= 0.5")
    results.update(
        weights=strokes.weights_label,
        device=device,
        steps=args.steps,
        stroke_activation=strokes.final_activation,
        pixel_activation=pixels,
    )
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()}))


if __name__ == "__main__":
    main()
