"""Drawing quality on the real network: how close strokes get to the unconstrained optimum,
how much of the paper they ink, and what each choice of issue 13 does to both.

For each layer and channel, plotkit's drawing is made as ``plotkit excite`` makes it (its
option table, its defaults) in several variants:

- default: one pen, ``--ink 0.3``, weak strokes respawned every 50 steps, lucent views
  (padding, jitter, small scaling and rotation);
- no-respawn: ``--respawn-every 0`` (the stroke count set by --ink, then left alone);
- perspective: ``--views perspective`` (perspective and crop, plotkit's earlier views);
- pens: ``--pens stabilo-point-88`` (8 colours; the pen of each stroke learned);
- pens-max2: the same with ``--max-pens 2``.

The drawing is 60 mm wide so that a 0.4 mm pen is 1.5 px on the 224 px canvas, the width
of the single pen: the variants compare at the same ink. Each is measured by the
activation of its clean drawing, over the activation a decorrelated Fourier-parameterised
image reaches (lucent's ``param.image(fft=True, decorrelate=True)``) with the default
views and the same steps, and by its ink coverage (share of the square inked).

With ``--command``, also times the command of the issue on this machine:
``plotkit excite --pens black-fineliner --drawing-size 10cm`` with the real weights.

Prints a table, then one JSON line: {"results": [...], "mean_stroke_vs_fourier":
{variant: {layer: ratio}}, "mean_ink_coverage": {variant: c}, "command_seconds": s}.

Needs ImageNet weights: by default the MobileNetV2 state dict in ../shared/weights beside
the clone (--weights FILE for another). Without them it says so and exits 2.

    python benchmarks/quality.py [--steps 150] [--layers features.4,features.7,features.10] [--command]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from excite import fourier_optimum  # benchmarks/excite.py, beside this file
from torchvision.transforms.functional import to_pil_image

from optim.excite import excite, pick_device
from plotkit.excite.rasterize import to_pil
from plotkit.excite.settings import settings_from_options

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
DRAWING_MM = 224 * 0.4 / 1.5  # a 0.4 mm pen is 1.5 px on the 224 px canvas
VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "no-respawn": {"respawn_every": 0},
    "perspective": {"views": "perspective"},
    "pens": {"pens": "stabilo-point-88"},
    "pens-max2": {"pens": "stabilo-point-88", "max_pens": 2},
}


def timed_command(model: str, weights: str, objective: str) -> float:
    """Seconds the issue's command takes, as a user runs it."""
    layer, channel = objective.split(":")
    with tempfile.TemporaryDirectory() as out:
        command = [
            *("plotkit", "excite", "--pens", "black-fineliner", "--drawing-size", "10cm"),
            *("--model", model, "--weights", weights, "--layer", layer, "--channel", channel),
            *("--quiet", "-o", str(Path(out) / "d.svg")),
        ]
        t0 = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - t0
        meta = json.loads((Path(out) / "d.json").read_text())
        print(
            f"{' '.join(command[:-2])}: {seconds:.0f} s, {meta['strokes']} strokes, "
            f"ink {meta['ink_coverage']:.2f}, activation {meta['final_activation']:.3f}"
        )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--weights", default=str(WEIGHTS))
    parser.add_argument("--layers", default="features.4,features.7,features.10")
    parser.add_argument("--channels", default="1,7,21")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--command", action="store_true", help="also time the issue's 10 cm command")
    parser.add_argument("--images", type=Path, help="folder for each channel's strokes and Fourier image")
    args = parser.parse_args()
    if not Path(args.weights).is_file():
        print(f"no weights at {args.weights}: pass --weights FILE (an ImageNet state dict)", file=sys.stderr)
        raise SystemExit(2)
    device = str(pick_device(args.device))
    variants = args.variants.split(",")
    layers = args.layers.split(",")
    results = []
    print(
        f"{'layer:channel':16} {'variant':11} {'strokes':>8} {'Fourier':>8} {'ratio':>6} {'ink':>5} {'s':>5}"
    )
    for layer in layers:
        for channel in args.channels.split(","):
            common = {"model": args.model, "weights": args.weights, "layer": layer, "channel": int(channel)}
            fourier = None
            for variant in variants:
                run = settings_from_options({**common, "steps": args.steps, **VARIANTS[variant]}, DRAWING_MM)
                if fourier is None:
                    t0 = time.perf_counter()
                    fourier, optimum = fourier_optimum(run.settings, device)
                    fourier_seconds = time.perf_counter() - t0
                    if args.images is not None:
                        args.images.mkdir(parents=True, exist_ok=True)
                        to_pil_image(optimum).save(args.images / f"{layer}_{channel}_fourier.png")
                t0 = time.perf_counter()
                strokes = excite(run.settings, device=device)
                row = {
                    "objective": run.settings.objective,
                    "variant": variant,
                    "strokes": strokes.scene.n_paths,
                    "stroke_activation": strokes.final_activation,
                    "fourier_activation": fourier,
                    "stroke_vs_fourier_activation": strokes.final_activation / fourier
                    if fourier > 0
                    else None,
                    "ink_coverage": strokes.coverage,
                    "stroke_seconds": time.perf_counter() - t0,
                    "fourier_seconds": fourier_seconds,
                }
                results.append(row)
                if args.images is not None:
                    to_pil(strokes.scene).save(args.images / f"{layer}_{channel}_{variant}.png")
                ratio = row["stroke_vs_fourier_activation"]
                ratio = ratio if ratio is not None else float("nan")
                print(
                    f"{run.settings.objective:16} {variant:11} {strokes.final_activation:8.3f} "
                    f"{fourier:8.3f} {ratio:6.2f} {strokes.coverage:5.2f} {row['stroke_seconds']:5.0f}",
                    flush=True,
                )
    means: dict[str, dict[str, float | None]] = {}
    inks: dict[str, float] = {}
    for variant in variants:
        rows = [r for r in results if r["variant"] == variant]
        inks[variant] = statistics.mean(r["ink_coverage"] for r in rows)
        means[variant] = {}
        for layer in layers:
            ratios = [
                r["stroke_vs_fourier_activation"]
                for r in rows
                if r["objective"].startswith(layer + ":") and r["stroke_vs_fourier_activation"] is not None
            ]
            means[variant][layer] = statistics.mean(ratios) if ratios else None
    command = (
        timed_command(args.model, args.weights, f"{layers[1 % len(layers)]}:7") if args.command else None
    )
    print(
        json.dumps(
            {
                "steps": args.steps,
                "results": results,
                "mean_stroke_vs_fourier": means,
                "mean_ink_coverage": inks,
                "command_seconds": command,
            }
        )
    )


if __name__ == "__main__":
    main()
