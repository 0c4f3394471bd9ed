"""Motion planning for a pen plotter: trapezoidal speed profiles with cornering limits.

The design is saxi's and grbl's: each polyline is driven through its vertices at speeds
limited by the junction-deviation formula (sharper corners, slower), then a forward and a
backward pass make every speed change reachable with the acceleration limit, so the pen
can always stop at the end. Every segment then runs a trapezoid (or triangle) profile.
The plan gives the ETA, the drawing-time schedule of pauses, and ``plotkit estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plotkit.plot_input import PlotDrawing
from plotkit.presets import Plotter


@dataclass(frozen=True)
class Limits:
    speed: float  # mm/s
    accel: float  # mm/s^2
    cornering: float  # mm, junction deviation


@dataclass(frozen=True)
class PathPlan:
    """A polyline driven from rest to rest: speed at each vertex, time of each segment."""

    points: np.ndarray  # (n + 1, 2) mm
    speeds: np.ndarray  # (n + 1,) mm/s
    durations: np.ndarray  # (n,) s
    limits: Limits

    @property
    def seconds(self) -> float:
        return float(self.durations.sum())

    @property
    def length(self) -> float:
        return float(np.linalg.norm(np.diff(self.points, axis=0), axis=1).sum())


def _dedupe(points: np.ndarray) -> np.ndarray:
    keep = np.ones(len(points), bool)
    keep[1:] = np.linalg.norm(np.diff(points, axis=0), axis=1) > 1e-9
    return points[keep]


def junction_speeds(points: np.ndarray, limits: Limits) -> np.ndarray:
    """Highest speed through each vertex; zero at both ends."""
    d = np.diff(points, axis=0)
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    v = np.zeros(len(points))
    if len(points) > 2:
        cos_theta = np.clip(
            -(u[:-1] * u[1:]).sum(1), -1.0, 1.0
        )  # angle between incoming reversed and outgoing
        sin_half = np.sqrt(0.5 * (1.0 - cos_theta))
        with np.errstate(divide="ignore"):
            v_corner = np.sqrt(limits.accel * limits.cornering * sin_half / np.maximum(1.0 - sin_half, 0.0))
        v[1:-1] = np.minimum(v_corner, limits.speed)
    return v


def segment_times(length: np.ndarray, v_in: np.ndarray, v_out: np.ndarray, limits: Limits) -> np.ndarray:
    """Time of trapezoid (or triangle) profiles from ``v_in`` to ``v_out`` over ``length``."""
    a, vmax = limits.accel, limits.speed
    peak = np.sqrt((2 * a * length + v_in**2 + v_out**2) / 2)
    triangle = (2 * peak - v_in - v_out) / a
    cruise_len = length - (vmax**2 - v_in**2) / (2 * a) - (vmax**2 - v_out**2) / (2 * a)
    trapezoid = (2 * vmax - v_in - v_out) / a + cruise_len / vmax
    return np.where(peak <= vmax, triangle, trapezoid)


def plan_path(points: np.ndarray, limits: Limits) -> PathPlan:
    points = _dedupe(np.asarray(points, float))
    if len(points) < 2:
        return PathPlan(points, np.zeros(len(points)), np.zeros(0), limits)
    length = np.linalg.norm(np.diff(points, axis=0), axis=1)
    v = junction_speeds(points, limits)
    a2 = 2 * limits.accel
    for i in range(len(length)):  # forward: what acceleration allows from the previous vertex
        v[i + 1] = min(v[i + 1], np.sqrt(v[i] ** 2 + a2 * length[i]))
    for i in range(len(length) - 1, -1, -1):  # backward: what braking allows before the next
        v[i] = min(v[i], np.sqrt(v[i + 1] ** 2 + a2 * length[i]))
    return PathPlan(points, v, segment_times(length, v[:-1], v[1:], limits), limits)


def plotter_limits(plotter: Plotter) -> tuple[Limits, Limits]:
    """(pen down, pen up) limits of a plotter preset."""
    down = Limits(plotter.speed_pendown_mm_s, plotter.accel_pendown_mm_s2, plotter.cornering_mm)
    up = Limits(plotter.speed_penup_mm_s, plotter.accel_penup_mm_s2, plotter.cornering_mm)
    return down, up


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
