"""A drawing's plotting schedule: every stroke with the travel leading to it, in plotting
order, and the totals ``plotkit estimate`` reports. One plan serves the estimate, the ETA and
the plot session, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plotkit.plot.drawing import PlotDrawing
from plotkit.plotter.motion import PathPlan, plan_path, plotter_limits
from plotkit.presets import Plotter


@dataclass(frozen=True)
class Estimate:
    seconds: float
    drawing_seconds: float  # pen down, what --pause-every counts
    pen_down_mm: float
    pen_up_mm: float
    lifts: int
    layers: int


@dataclass(frozen=True)
class StrokePlan:
    layer: int  # index in the drawing's layers
    index: int  # index in the layer's strokes
    travel: PathPlan  # pen up, from where the previous stroke ended (home for the first)
    path: PathPlan  # pen down


def stroke_plans(drawing: PlotDrawing, plotter: Plotter) -> list[StrokePlan]:
    """Every stroke in plotting order, with the travel that leads to it."""
    down, up = plotter_limits(plotter)
    here, plans = np.zeros(2), []
    for li, layer in enumerate(drawing.layers):
        for si, stroke in enumerate(layer.strokes):
            plans.append(
                StrokePlan(li, si, plan_path(np.stack([here, stroke[0]]), up), plan_path(stroke, down))
            )
            here = stroke[-1]
    return plans


def estimate(drawing: PlotDrawing, plotter: Plotter) -> Estimate:
    """Time and distances of plotting ``drawing`` from home and back, layer by layer."""
    plans = stroke_plans(drawing, plotter)
    here = plans[-1].path.points[-1] if plans else np.zeros(2)
    home = plan_path(np.stack([here, np.zeros(2)]), plotter_limits(plotter)[1])
    drawing_s = sum(p.path.seconds for p in plans)
    travel_s = home.seconds + sum(p.travel.seconds for p in plans)
    down_mm = sum(p.path.length for p in plans)
    up_mm = home.length + sum(p.travel.length for p in plans)
    pen_s = len(plans) * (plotter.pen_lift_s + plotter.pen_drop_s)
    return Estimate(drawing_s + travel_s + pen_s, drawing_s, down_mm, up_mm, len(plans), len(drawing.layers))
