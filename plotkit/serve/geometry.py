"""A drawing as the page shows it: its paper, each layer's pen, every stroke in plotting
order as SVG path data in millimetres, the pen-up travel, and the estimate, all from the
same plan the plot follows, so the preview, the estimate and the progress agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from plotkit.errors import UserError
from plotkit.plot.drawing import PlotDrawing, check_fits, read_drawing, turn
from plotkit.plot.preview import DEFAULT_PEN_MM, TRAVEL, page_size_mm
from plotkit.plot.schedule import estimate
from plotkit.presets import Plotter, load_plotter
from plotkit.serve.state import PlotSettings


def load(svg: Path, settings: PlotSettings) -> tuple[PlotDrawing, Plotter]:
    """The drawing as the plot will draw it (optimized, turned) and its plotter preset."""
    drawing = read_drawing(svg, settings.optimize)
    return (turn(drawing) if settings.rotate else drawing), load_plotter(settings.plotter)


def _path_data(points: np.ndarray) -> str:
    xy = np.round(points, 2).tolist()
    return "M" + "L".join(f"{x:g} {y:g}" for x, y in xy)


def page_view(svg: Path, settings: PlotSettings) -> dict[str, Any]:
    """Everything the page draws and lists for ``svg`` plotted with ``settings``. A drawing
    that does not fit is still shown, with the reason it cannot be plotted."""
    drawing, plotter = load(svg, settings)
    try:
        check_fits(drawing, plotter, svg, turned=settings.rotate)
        problem = None
    except UserError as exc:
        problem = str(exc)
    here, travel = np.zeros(2), []
    strokes = []
    for li, layer in enumerate(drawing.layers):
        for stroke in layer.strokes:
            strokes.append([li, _path_data(stroke)])
            travel.append(_path_data(np.stack([here, stroke[0]])))
            here = stroke[-1]
    e = estimate(drawing, plotter)
    return {
        "name": svg.name,
        "page_mm": [round(v, 3) for v in page_size_mm(drawing)],
        "travel_mm": [plotter.travel_x_mm, plotter.travel_y_mm],
        "layers": [
            {"name": lr.name, "color": lr.color, "width_mm": round(lr.pen_width_mm or DEFAULT_PEN_MM, 4)}
            for lr in drawing.layers
        ],
        "strokes": strokes,
        "travel": "".join(travel),
        "travel_style": {"color": TRAVEL[0], "width_mm": TRAVEL[1], "opacity": TRAVEL[2]},
        "estimate": {
            "seconds": e.seconds,
            "drawing_seconds": e.drawing_seconds,
            "pen_down_mm": e.pen_down_mm,
            "pen_up_mm": e.pen_up_mm,
            "lifts": e.lifts,
            "layers": e.layers,
        },
        "problem": problem,
    }
