"""Rasterize an SVG of stroked paths with plotkit's own renderer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from optim.render import Blend, StrokeScene, render
from optim.render.svg import read_svg
from plotkit.errors import UserError

EXAMPLE_SVG = Path(__file__).parents[1] / "examples" / "strokes.svg"


def rasterize_svg(
    path: Path, size: int | None = None, blend: Blend = "multiply", background=(1.0, 1.0, 1.0)
) -> Image.Image:
    """Render ``path``; ``size`` is the output's longest side in pixels (the SVG's own size if None)."""
    scene = read_svg(path)
    if size is not None:
        if size <= 0:
            raise UserError(f"--size must be a positive number of pixels, got {size}")
        scene = scene.scaled(size / max(scene.width, scene.height))
    return to_pil(scene, blend, background)


def to_pil(scene: StrokeScene, blend: Blend = "multiply", background=(1.0, 1.0, 1.0)) -> Image.Image:
    """The scene rendered to an 8-bit RGB image."""
    with torch.no_grad():
        image = render(scene, blend=blend, background=background)
    pixels = (image.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round()
    return Image.fromarray(pixels.astype(np.uint8), "RGB")
