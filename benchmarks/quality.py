"""Drawing quality on the real network: how close strokes get to the unconstrained optimum,
and how much of the paper they ink.

For each layer and channel: the activation plotkit's strokes reach (default settings: 200
strokes, 224 px, mono) over the activation a decorrelated Fourier-parameterised image
reaches (lucent's ``param.image(fft=True, decorrelate=True)``) with the same steps and
views, the ink coverage of the stroke drawing (share of its square covered by ink, at the
stroke width it was optimized with), and the seconds each took. Prints a table, then one
JSON line: {"results": [...], "mean_stroke_vs_fourier": {layer: ratio}}.

Needs ImageNet weights: by default the MobileNetV2 state dict in ../shared/weights beside
the clone (--weights FILE for another). Without them it says so and exits 2.

    python benchmarks/quality.py [--steps 200] [--layers features.4,features.7,features.10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from excite import fourier_activation  # benchmarks/excite.py, beside this file

from optim.excite import ExciteSettings, excite, pick_device
from optim.render import render

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "mobilenet_v2_imagenet.pth"


def ink_coverage(scene) -> float:
    """Share of the canvas covered by ink: the strokes rendered in black, fully opaque."""
    black = replace(scene, colors=torch.zeros_like(scene.colors), opacities=torch.ones_like(scene.opacities))
    with torch.no_grad():
        return float(1 - render(black).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--weights", default=str(WEIGHTS))
    parser.add_argument("--layers", default="features.4,features.7,features.10")
    parser.add_argument("--channels", default="1,7,21")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if not Path(args.weights).is_file():
        print(f"no weights at {args.weights}: pass --weights FILE (an ImageNet state dict)", file=sys.stderr)
        raise SystemExit(2)
    device = str(pick_device(args.device))
    results = []
    print(f"{'layer:channel':18} {'strokes':>9} {'Fourier':>9} {'ratio':>6} {'ink':>5} {'s':>6} {'s':>6}")
    for layer in args.layers.split(","):
        for channel in (int(c) for c in args.channels.split(",")):
            settings = ExciteSettings(
                model=args.model, weights=args.weights, objective=f"{layer}:{channel}", steps=args.steps
            )
            t0 = time.perf_counter()
            strokes = excite(settings, device=device)
            t1 = time.perf_counter()
            fourier = fourier_activation(settings, device)
            t2 = time.perf_counter()
            row = {
                "objective": settings.objective,
                "stroke_activation": strokes.final_activation,
                "fourier_activation": fourier,
                "stroke_vs_fourier_activation": strokes.final_activation / fourier if fourier > 0 else None,
                "ink_coverage": ink_coverage(strokes.scene),
                "stroke_seconds": t1 - t0,
                "fourier_seconds": t2 - t1,
            }
            results.append(row)
            ratio = row["stroke_vs_fourier_activation"]
            print(
                f"{settings.objective:18} {strokes.final_activation:9.3f} {fourier:9.3f} "
                f"{ratio if ratio is not None else float('nan'):6.2f} {row['ink_coverage']:5.2f} "
                f"{t1 - t0:6.0f} {t2 - t1:6.0f}"
            )
    means = {}
    for layer in args.layers.split(","):
        ratios = [
            r["stroke_vs_fourier_activation"]
            for r in results
            if r["objective"].startswith(layer + ":") and r["stroke_vs_fourier_activation"] is not None
        ]
        means[layer] = statistics.mean(ratios) if ratios else None
    print(json.dumps({"steps": args.steps, "results": results, "mean_stroke_vs_fourier": means}))


if __name__ == "__main__":
    main()
