"""Write an optimization result: SVG for vpype and plotters, PNG preview, JSON sidecar."""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import torch

from optim.atomic import save_image, write_atomic
from optim.excite import ExciteResult
from optim.render.svg import scene_to_svg
from plotkit.excite.rasterize import to_pil
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


def write_drawing(
    result: ExciteResult,
    svg_path: Path,
    device: str,
    pens: PenSet | None = None,
    size_mm: float | None = None,
) -> tuple[Path, Path]:
    """``svg_path``, a PNG and a JSON sidecar beside it; returns (png, json)."""
    scene = result.scene
    layers = pen_layers(result, pens)
    write_atomic(svg_path, scene_to_svg(scene, layers, size_mm))
    png = svg_path.with_suffix(".png")
    save_image(to_pil(scene), png)
    sidecar = svg_path.with_suffix(".json")
    meta = {
        "settings": dataclasses.asdict(result.settings),
        "weights": result.weights_label,
        "initial_activation": result.initial_activation,
        "final_activation": result.final_activation,
        "strokes": scene.n_paths,
        "ink_coverage": round(result.coverage, 4),
        "seconds": round(result.seconds, 2),
        "device": device,
        "precision": result.precision,
        "drawing_size_mm": size_mm,
        "pens": pens.name if pens is not None else None,
        "layers": {name: len(members) for name, members in layers},
        "torch": torch.__version__,
        "python": platform.python_version(),
        "svg": svg_path.name,
        "png": png.name,
    }
    write_atomic(sidecar, json.dumps(meta, indent=2) + "\n")
    return png, sidecar
