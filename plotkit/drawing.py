"""Write an optimization result: SVG for vpype and plotters, PNG preview, JSON sidecar."""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import torch

from optim.excite import ExciteResult
from optim.render.svg import scene_to_svg
from plotkit.rasterize import to_pil


def write_drawing(result: ExciteResult, svg_path: Path, device: str) -> tuple[Path, Path]:
    """``svg_path``, a PNG and a JSON sidecar beside it; returns (png, json)."""
    scene = result.scene
    svg_path.write_text(
        scene_to_svg(scene, layer="1 pen" if result.settings.colors == "mono" else "free colours")
    )
    png = svg_path.with_suffix(".png")
    to_pil(scene).save(png)
    sidecar = svg_path.with_suffix(".json")
    settings = dataclasses.asdict(result.settings)
    sidecar.write_text(
        json.dumps(
            {
                "settings": settings,
                "weights": result.weights_label,
                "initial_activation": result.initial_activation,
                "final_activation": result.final_activation,
                "seconds": round(result.seconds, 2),
                "device": device,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "svg": svg_path.name,
                "png": png.name,
            },
            indent=2,
        )
        + "\n"
    )
    return png, sidecar
