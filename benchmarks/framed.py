"""Framing a study: does a gallery cell keep its look, and its activation, at 20 cm with a
0.3 mm fineliner?

For each channel of MobileNetV2 features.7 (the ImageNet weights in ../shared): a gallery
study (``--steps``, 15 cm), then ``plotkit excite --from`` it with ``--pens
black-fineliner --drawing-size 20cm`` two ways, in one run:

- now: the defaults (one view over the whole drawing, strokes kept at their weight and
  drawn in passes of the pen, no fine-tuning needed);
- before: as plotkit framed it until now (tiled until the 0.3 mm pen is 1.5 px wide, the
  pen's own width, fine-tuned as long as the study ran).

Each plotter SVG (the study's too) is rendered at its pens' real widths at 300 dpi, its
drawing cropped and shrunk to the study's 224 px, and shown to the network: the framed
drawing's activation over the study's, as a person sees both at the study's scale. Also
strokes, ink, the estimated plotting time and the seconds each took. Prints a table, then
one JSON line. Without the weights it says so and exits 0.

    python benchmarks/framed.py [--channels 2 7 12] [--steps 100]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from optim.excite import ExciteSettings, Network
from plotkit.excite.gallery import run_gallery
from plotkit.excite.job import run_excite
from plotkit.excite.placement import A4, Page
from plotkit.excite.request import request
from plotkit.excite.settings import plan
from plotkit.excite.sidecar import Sidecar, read_sidecar
from plotkit.plot.drawing import read_drawing
from plotkit.plot.preview import preview_image
from plotkit.units import MM_PER_INCH, PX_PER_MM

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
STUDY = {"model": "mobilenet_v2", "weights": str(WEIGHTS), "layer": "features.7"}
DPI = 300
TIGHT_PAGE = Page(None)  # 20 cm does not fit A4 inside its margins: the page is the drawing
FRAMED_MM = 200.0
STUDY_MM = 150.0
WAYS = {
    "now": {},
    # the pen's own width (stroke width as low as it goes), tiled to 1.5 px, fine-tuned
    "before": {"tile": 5, "stroke_width": 0.01},
}


def seen(svg: Path, sidecar: Sidecar, network: Network, side_px: int) -> float:
    """The activation of the drawing in ``svg`` at its pens' widths, as the study's canvas."""
    page = preview_image(read_drawing(svg), DPI)
    placed = (A4 if sidecar.drawing_size_mm <= 180 else TIGHT_PAGE).place(sidecar.drawing_size_mm)
    px = DPI / MM_PER_INCH / PX_PER_MM  # preview pixels per vpype pixel
    box = tuple(round(v * px) for v in (placed.x, placed.y, placed.x + placed.side, placed.y + placed.side))
    image = page.crop(box).convert("RGB").resize((side_px, side_px), Image.Resampling.BOX)
    tensor = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255)
    with torch.no_grad():
        return float(network.objectives([tensor.permute(2, 0, 1)[None]], [network.terms], exact=True)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[2, 7, 12])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    if not WEIGHTS.is_file():
        print(f"skipped: the real MobileNetV2 weights are not at {WEIGHTS}")
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        t0 = time.perf_counter()
        run_gallery(request(STUDY | {"steps": args.steps}), args.channels, out, STUDY_MM)
        study_s = (time.perf_counter() - t0) / len(args.channels)
        for k in args.channels:
            study = read_sidecar(out / f"ch{k}.json")
            settings = ExciteSettings(model=STUDY["model"], weights=str(WEIGHTS), objective=f"features.7:{k}")
            network = Network(settings, torch.device("cpu"))
            side = study.settings["size"]
            base = seen(out / study.svg, study, network, side)
            row = {"channel": k, "study_activation": round(base, 3), "study_seconds": round(study_s, 1)}
            row["study_plot_s"] = study.plot.seconds if study.plot else None
            for way, options in WAYS.items():
                given = {"start": str(out / f"ch{k}.json"), "pens": "black-fineliner"} | options
                run = plan(request(given), FRAMED_MM)
                t0 = time.perf_counter()
                svg = out / f"ch{k}-{way}.svg"
                _, framed = run_excite(
                    run, save=svg, save_option="-o", size_mm=FRAMED_MM, resume=False, page=TIGHT_PAGE
                )
                seconds = time.perf_counter() - t0
                ratio = seen(svg, framed, network, side) / base
                row[way] = {
                    "activation_over_study": round(ratio, 3),
                    "strokes": framed.strokes,
                    "ink": framed.ink_coverage,
                    "tile": framed.settings["tile"],
                    "plot_s": framed.plot.seconds,
                    "seconds": round(seconds, 1),
                }
            rows.append(row)
            print(
                f"features.7:{k}: study {base:.2f}; "
                + "; ".join(
                    f"{way} {row[way]['activation_over_study']:.2f}x, {row[way]['strokes']} strokes, "
                    f"ink {row[way]['ink']:.2f}, plots in {row[way]['plot_s'] / 60:.0f} min, "
                    f"{row[way]['seconds']:.0f} s"
                    for way in WAYS
                )
            )
    mean = {way: round(sum(r[way]["activation_over_study"] for r in rows) / len(rows), 3) for way in WAYS}
    print(
        json.dumps({"steps": args.steps, "framed_mm": FRAMED_MM, "mean_over_study": mean, "channels": rows})
    )


if __name__ == "__main__":
    main()
