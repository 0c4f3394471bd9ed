"""Drawing quality on the real network: how close strokes get to the unconstrained optimum,
how much of the paper they ink, and what each choice of issue 13 does to both.

For each layer and channel, plotkit's drawing is made as ``plotkit excite`` makes it (its
option table, its defaults) in several variants:

- default: one pen, ``--ink 0.3``, weak strokes respawned every 50 steps, lucent views
  (padding, jitter, small scaling and rotation);
- no-respawn: ``--respawn-every 0`` (the stroke count set by --ink, then left alone);
- perspective: ``--views perspective`` (perspective and crop, plotkit's earlier views);
- pens: ``--pens stabilo-point-88`` (8 colours; the pen of each stroke learned);
- pens-max2: the same with ``--max-pens 2``;
- black-pen: the set's black pen alone: the mono drawing a user of that set would plot,
  the one its colour drawing must beat (a pen's black is not the pure black of the
  default: the set's ``#1d1d1b`` leaves paper showing through).

The drawing is 60 mm wide so that a 0.4 mm pen is 1.5 px on the 224 px canvas, the width
of the single pen: the variants compare at the same ink. Each is measured by the
activation of its clean drawing, over the activation a decorrelated Fourier-parameterised
image reaches (lucent's ``param.image(fft=True, decorrelate=True)``) with the default
views and the same steps, and by its ink coverage (share of the square inked).

Pens cannot draw what the Fourier image shows (grey, any colour, texture finer than the
pen), so each variant is also measured against a reference in its own inks: the best image
inking ``--ink`` of its pixels in the variant's pens (pure black for the default) that the
same optimization finds (``optim.fourier.InkImage``, same views and steps), measured as
drawn, each pixel one pen's ink or paper. It is what free pixels reach where strokes are
bound to their pen's line, not a bound: where it trails the strokes, it only shows that
ink alone is hard to optimize there.

Prints a table, then one JSON line: {"results": [...], "mean_stroke_vs_fourier":
{variant: {layer: ratio}}, "mean_stroke_vs_ink_image": {variant: {layer: ratio}},
"mean_ink_image_vs_fourier": {variant: {layer: ratio}}, "mean_ink_coverage": {variant: c},
"pens_vs_black_pen": {objective: ratio}, "command_seconds": s}.

Needs ImageNet weights: by default the MobileNetV2 state dict in ../shared/weights beside
the clone (--weights FILE for another). Without them it says so and exits 2.

    python benchmarks/quality.py [--steps 150] [--layers features.4,features.7,features.10]
        [--channels 1,7,21] [--variants default,pens,...] [--ink 0.3] [--command] [--images DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from math import nan
from pathlib import Path

from excite import pixel_optimum  # benchmarks/excite.py, beside this file
from torchvision.transforms.functional import to_pil_image

from optim.excite import excite, pick_device
from optim.state import darkest_pen
from plotkit.excite.rasterize import to_pil
from plotkit.excite.request import request
from plotkit.excite.settings import plan
from plotkit.presets import load_pen_set

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
DRAWING_MM = 224 * 0.4 / 1.5  # a 0.4 mm pen is 1.5 px on the 224 px canvas
PEN_SET = "stabilo-point-88"
BLACK_PEN = f"{PEN_SET}-black"  # a one-pen set written for the run (see one_pen_set)
VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "no-respawn": {"respawn_every": 0},
    "perspective": {"views": "perspective"},
    "pens": {"pens": PEN_SET},
    "pens-max2": {"pens": PEN_SET, "max_pens": 2},
    "black-pen": {"pens": BLACK_PEN},
}


def one_pen_set(folder: Path) -> None:
    """Write ``BLACK_PEN`` under ``folder``, a preset folder: ``PEN_SET``'s darkest pen alone."""
    pens = load_pen_set(PEN_SET).pens
    pen = pens[darkest_pen(tuple(p.rgb for p in pens))]
    (folder / "pens").mkdir(parents=True, exist_ok=True)
    (folder / "pens" / f"{BLACK_PEN}.toml").write_text(
        f'description = "{PEN_SET}\'s {pen.name} pen alone"\n\n'
        f'[[pen]]\nname = "{pen.name}"\ncolor = "{pen.color}"\nwidth_mm = {pen.width_mm}\n'
    )


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


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.mean(known) if known else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--weights", default=str(WEIGHTS))
    parser.add_argument("--layers", default="features.4,features.7,features.10")
    parser.add_argument("--channels", default="1,7,21")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--ink", type=float, help="every variant's --ink (default: plotkit's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--command", action="store_true", help="also time the issue's 10 cm command")
    parser.add_argument("--images", type=Path, help="folder for each channel's strokes and Fourier image")
    args = parser.parse_args()
    if not Path(args.weights).is_file():
        print(f"no weights at {args.weights}: pass --weights FILE (an ImageNet state dict)", file=sys.stderr)
        raise SystemExit(2)
    device = str(pick_device(args.device))
    presets = tempfile.TemporaryDirectory(prefix="plotkit-quality-")  # removed at exit
    one_pen_set(Path(presets.name))
    os.environ["PLOTKIT_PRESETS"] = os.pathsep.join([presets.name, os.environ.get("PLOTKIT_PRESETS", "")])
    variants = args.variants.split(",")
    layers = args.layers.split(",")
    results = []
    print(
        f"{'layer:channel':16} {'variant':11} {'strokes':>8} {'Fourier':>8} {'ratio':>6} "
        f"{'ink image':>10} {'ratio':>6} {'ink':>5} {'s':>5}"
    )
    for layer in layers:
        for channel in args.channels.split(","):
            common = {"model": args.model, "weights": args.weights, "layer": layer, "channel": int(channel)}
            if args.ink is not None:
                common["ink"] = args.ink
            fourier = None
            references: dict[tuple, tuple[float, float]] = {}  # per palette: activation, seconds
            for variant in variants:
                run = plan(request({**common, "steps": args.steps, **VARIANTS[variant]}), DRAWING_MM)
                if fourier is None:
                    t0 = time.perf_counter()
                    fourier, optimum = pixel_optimum(run.settings, device)
                    fourier_seconds = time.perf_counter() - t0
                    if args.images is not None:
                        args.images.mkdir(parents=True, exist_ok=True)
                        to_pil_image(optimum).save(args.images / f"{layer}_{channel}_fourier.png")
                palette = run.settings.palette  # () for one pen in pure black
                if palette not in references:
                    t0 = time.perf_counter()
                    value, inked = pixel_optimum(run.settings, device, run.settings.ink, palette or None)
                    references[palette] = value, time.perf_counter() - t0
                    if args.images is not None:
                        to_pil_image(inked).save(args.images / f"{layer}_{channel}_{variant}_ink_image.png")
                ink_image, ink_image_seconds = references[palette]
                t0 = time.perf_counter()
                strokes = excite(run.settings, device=device)
                row = {
                    "objective": run.settings.objective,
                    "variant": variant,
                    "strokes": strokes.scene.n_paths,
                    "stroke_activation": strokes.final_activation,
                    "fourier_activation": fourier,
                    "stroke_vs_fourier_activation": _ratio(strokes.final_activation, fourier),
                    "ink_image_activation": ink_image,
                    "stroke_vs_ink_image": _ratio(strokes.final_activation, ink_image),
                    "ink_image_vs_fourier": _ratio(ink_image, fourier),
                    "ink_coverage": strokes.coverage,
                    "stroke_seconds": time.perf_counter() - t0,
                    "fourier_seconds": fourier_seconds,
                    "ink_image_seconds": ink_image_seconds,
                }
                results.append(row)
                if args.images is not None:
                    to_pil(strokes.scene).save(args.images / f"{layer}_{channel}_{variant}.png")
                ratio, of_ink_image = (
                    nan if r is None else r
                    for r in (row["stroke_vs_fourier_activation"], row["stroke_vs_ink_image"])
                )
                print(
                    f"{run.settings.objective:16} {variant:11} {strokes.final_activation:8.3f} "
                    f"{fourier:8.3f} {ratio:6.2f} {ink_image:10.3f} {of_ink_image:6.2f} "
                    f"{strokes.coverage:5.2f} {row['stroke_seconds']:5.0f}",
                    flush=True,
                )

    def layer_mean(rows: list[dict], layer: str, key: str) -> float | None:
        return _mean([r[key] for r in rows if r["objective"].startswith(layer + ":")])

    means: dict[str, dict[str, float | None]] = {}
    of_ink_image: dict[str, dict[str, float | None]] = {}
    ink_images: dict[str, dict[str, float | None]] = {}
    inks: dict[str, float] = {}
    for variant in variants:
        rows = [r for r in results if r["variant"] == variant]
        inks[variant] = statistics.mean(r["ink_coverage"] for r in rows)
        means[variant] = {layer: layer_mean(rows, layer, "stroke_vs_fourier_activation") for layer in layers}
        of_ink_image[variant] = {layer: layer_mean(rows, layer, "stroke_vs_ink_image") for layer in layers}
        ink_images[variant] = {layer: layer_mean(rows, layer, "ink_image_vs_fourier") for layer in layers}
    activation = {(r["objective"], r["variant"]): r["stroke_activation"] for r in results}
    pens_vs_black_pen = {
        objective: _ratio(activation[objective, "pens"], activation[objective, "black-pen"])
        for objective, variant in activation
        if variant == "pens" and (objective, "black-pen") in activation
    }
    command = (
        timed_command(args.model, args.weights, f"{layers[1 % len(layers)]}:7") if args.command else None
    )
    print(
        json.dumps(
            {
                "steps": args.steps,
                "ink": args.ink,
                "results": results,
                "mean_stroke_vs_fourier": means,
                "mean_stroke_vs_ink_image": of_ink_image,
                "mean_ink_image_vs_fourier": ink_images,
                "mean_ink_coverage": inks,
                "pens_vs_black_pen": pens_vs_black_pen,
                "command_seconds": command,
            }
        )
    )


if __name__ == "__main__":
    main()
