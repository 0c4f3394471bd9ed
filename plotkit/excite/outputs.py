"""Write an optimization result: SVG for vpype and plotters, PNG preview, JSON sidecar."""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import torch

from optim.excite import ExciteResult, pick_device
from optim.render.svg import scene_to_svg
from plotkit.excite.rasterize import to_pil
from plotkit.excite.settings import ExciteRun
from plotkit.excite.sidecar import Sidecar, write_sidecar
from plotkit.presets import PenSet


def pen_layers(result: ExciteResult, pens: PenSet | None) -> list[tuple[str, list[int]]]:
    """One layer per pen that draws something, in the pen set's order."""
    if result.pens is None:
        return [
            ("free colours" if result.settings.colors == "free" else "pen", list(range(result.scene.n_paths)))
        ]
    assert pens is not None
    choice = result.pens.tolist()
    layers = [(pen.name, [i for i, c in enumerate(choice) if c == p]) for p, pen in enumerate(pens.pens)]
    return [(name, members) for name, members in layers if members]


def write_drawing(result: ExciteResult, svg_path: Path, run: ExciteRun, size_mm: float) -> Sidecar:
    """``svg_path``, a PNG and a JSON sidecar beside it; returns the sidecar."""
    scene = result.scene
    layers = pen_layers(result, run.pens)
    svg_path.write_text(scene_to_svg(scene, layers, size_mm), encoding="utf-8")
    png = svg_path.with_suffix(".png")
    to_pil(scene).save(png)
    sidecar = Sidecar(
        options=run.options,
        settings=json.loads(json.dumps(dataclasses.asdict(result.settings))),
        weights=result.weights_label,
        initial_activation=result.initial_activation,
        final_activation=result.final_activation,
        strokes=scene.n_paths,
        ink_coverage=round(result.coverage, 4),
        seconds=round(result.seconds, 2),
        device=str(pick_device(run.device)),
        precision=result.precision,
        drawing_size_mm=size_mm,
        pens=run.pens.name if run.pens is not None else None,
        layers={name: len(members) for name, members in layers},
        torch=torch.__version__,
        python=platform.python_version(),
        svg=svg_path.name,
        png=png.name,
    )
    write_sidecar(svg_path.with_suffix(".json"), sidecar)
    return sidecar
