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
DEFAULT_MAX_SIDE = 4096  # without --size, larger SVGs are scaled down to this, and told so
MAX_PIXELS = 100_000_000  # about 6 GB of rendering at most, whatever --size asks
BYTES_PER_PIXEL = 60  # image, blending and coverage buffers while rendering


def rasterize_svg(
    path: Path, size: int | None = None, blend: Blend = "multiply", background=(1.0, 1.0, 1.0)
) -> tuple[Image.Image, str | None]:
    """Render ``path``; ``size`` is the output's longest side in pixels (the SVG's own size if
    None, within ``DEFAULT_MAX_SIDE``). Returns the image and a note when it was scaled down."""
    scene = read_svg(path)
    longest = max(scene.width, scene.height)
    note = None
    if size is None and longest > DEFAULT_MAX_SIDE:
        size = DEFAULT_MAX_SIDE
        note = f"{path.name} is {longest} px across; rendered at {size} px (--size chooses)"
    if size is not None:
        if size <= 0:
            raise UserError(f"--size must be a positive number of pixels, got {size}")
        w, h = (round(side * size / longest) for side in (scene.width, scene.height))
        if w * h > MAX_PIXELS:
            most = int((MAX_PIXELS * longest**2 / (scene.width * scene.height)) ** 0.5)
            raise UserError(
                f"--size {size} makes a {w} x {h} px image, about {w * h * BYTES_PER_PIXEL / 2**30:.0f} GB "
                f"to render; use --size {most} or less"
            )
        scene = scene.scaled(size / longest)
    return to_pil(scene, blend, background), note


def to_pil(scene: StrokeScene, blend: Blend = "multiply", background=(1.0, 1.0, 1.0)) -> Image.Image:
    """The scene rendered to an 8-bit RGB image."""
    with torch.no_grad():
        image = render(scene, blend=blend, background=background)
    pixels = (image.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round()
    return Image.fromarray(pixels.astype(np.uint8), "RGB")
