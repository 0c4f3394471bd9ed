"""What the pen will really put down: the drawing at real scale on its paper, each layer with
its pen's width and colour, inks multiplied where they cross.

Drawn with Pillow, supersampled for anti-aliasing, so previewing needs no torch. Within a
layer a pen's ink is one coverage mask (a stroke crossing itself does not darken); layers
multiply, as inks on paper do.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from plotkit.plot.drawing import PlotDrawing
from plotkit.units import MM_PER_INCH, hex_to_rgb

DEFAULT_PEN_MM = 0.3
TRAVEL = ("#e63333", 0.2, 0.6)  # colour, width in mm, opacity of pen-up moves
SUPERSAMPLE = 4  # coverage from a 4x4 grid per pixel
SUPERSAMPLED_PIXELS = 64_000_000  # above this, fewer subsamples: memory stays bounded


def _mask(strokes: list[np.ndarray], width_px: float, size: tuple[int, int], factor: int) -> np.ndarray:
    """Coverage in [0, 1] of round-capped, round-joined strokes ``width_px`` wide."""
    w, h = size
    canvas = Image.new("L", (w * factor, h * factor), 0)
    draw = ImageDraw.Draw(canvas)
    line_width = max(1, round(width_px * factor))
    radius = line_width / 2
    for stroke in strokes:
        points = [tuple(p) for p in (stroke * factor).tolist()]
        if len(points) > 1:
            draw.line(points, fill=255, width=line_width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    if factor > 1:
        canvas = canvas.reduce(factor)
    return np.asarray(canvas, np.float32) / 255


def preview_image(
    drawing: PlotDrawing, dpi: float = 100, pen_width_mm: float | None = None, travel: bool = False
) -> Image.Image:
    """The page at ``dpi``; ``pen_width_mm`` overrides every layer's pen width."""
    px = dpi / MM_PER_INCH
    x0, y0, x1, y1 = drawing.bounds_mm
    page_w, page_h = drawing.page_mm or (x1 + min(x0, 10), y1 + min(y0, 10))
    size = (max(1, round(page_w * px)), max(1, round(page_h * px)))
    factor = max(1, min(SUPERSAMPLE, int((SUPERSAMPLED_PIXELS / (size[0] * size[1])) ** 0.5)))
    layers = [
        (layer.color, pen_width_mm or layer.pen_width_mm or DEFAULT_PEN_MM, 1.0, list(layer.strokes))
        for layer in drawing.layers
    ]
    if travel:
        here, moves = np.zeros(2), []
        for layer in drawing.layers:
            for stroke in layer.strokes:
                moves.append(np.stack([here, stroke[0]]))
                here = stroke[-1]
        layers.append((TRAVEL[0], TRAVEL[1], TRAVEL[2], moves))
    page = np.ones((size[1], size[0], 3), np.float32)
    for color, width_mm, opacity, strokes in layers:
        alpha = _mask([s * px for s in strokes], width_mm * px, size, factor)[..., None] * opacity
        page *= 1 - alpha * (1 - np.asarray(hex_to_rgb(color), np.float32))
    return Image.fromarray((page * 255).round().astype(np.uint8), "RGB")
