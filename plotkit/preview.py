"""What the pen will really put down: the drawing at real scale on its paper, each layer
with its pen's width and colour, rendered by plotkit's renderer with ink blending."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from optim.render import StrokeScene
from plotkit.plot_input import PlotDrawing
from plotkit.rasterize import to_pil

DEFAULT_PEN_MM = 0.3
TRAVEL = ((0.9, 0.2, 0.2), 0.2, 0.6)  # colour, width in mm, opacity of pen-up moves


def _as_cubics(polyline: np.ndarray) -> torch.Tensor:
    """A polyline as straight cubic segments: 3k + 1 control points."""
    p, q = polyline[:-1], polyline[1:]
    inner = np.stack([p + (q - p) / 3, p + 2 * (q - p) / 3, q], 1).reshape(-1, 2)
    return torch.from_numpy(np.concatenate([polyline[:1], inner])).float()


def preview_image(
    drawing: PlotDrawing, dpi: float = 100, pen_width_mm: float | None = None, travel: bool = False
) -> Image.Image:
    px = dpi / 25.4
    x0, y0, x1, y1 = drawing.bounds_mm
    page_w, page_h = drawing.page_mm or (x1 + min(x0, 10), y1 + min(y0, 10))
    paths, widths, colors, opacities = [], [], [], []
    here = np.zeros(2)
    for layer in drawing.layers:
        rgb = [int(layer.color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        width = pen_width_mm or layer.pen_width_mm or DEFAULT_PEN_MM
        for stroke in layer.strokes:
            if travel:
                paths.append(_as_cubics(np.stack([here, stroke[0]]) * px))
                widths.append(TRAVEL[1] * px)
                colors.append(TRAVEL[0])
                opacities.append(TRAVEL[2])
            paths.append(_as_cubics(stroke * px))
            widths.append(width * px)
            colors.append(rgb)
            opacities.append(1.0)
            here = stroke[-1]
    scene = StrokeScene.from_paths(paths, widths, colors, opacities, round(page_w * px), round(page_h * px))
    return to_pil(scene)
