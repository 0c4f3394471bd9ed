"""Motion planning for a pen plotter: trapezoidal speed profiles with cornering limits.

The design is saxi's and grbl's: each polyline is driven through its vertices at speeds
limited by the junction-deviation formula (sharper corners, slower), then a forward and a
backward pass make every speed change reachable with the acceleration limit, so the pen
can always stop at the end. Every segment then runs a trapezoid (or triangle) profile.
Backends drive these plans; ``plot.schedule`` sums them for the ETA and ``plotkit estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def _peak(length, v_in, v_out, limits: Limits):
    """Top speed of a segment's profile: the triangle's apex, or the speed limit."""
    return np.minimum(limits.speed, np.sqrt((2 * limits.accel * length + v_in**2 + v_out**2) / 2))


def segment_times(length: np.ndarray, v_in: np.ndarray, v_out: np.ndarray, limits: Limits) -> np.ndarray:
    """Time of trapezoid (or triangle) profiles from ``v_in`` to ``v_out`` over ``length``."""
    a, peak = limits.accel, _peak(length, v_in, v_out, limits)
    cruise_len = length - (peak**2 - v_in**2) / (2 * a) - (peak**2 - v_out**2) / (2 * a)
    return (2 * peak - v_in - v_out) / a + np.maximum(cruise_len, 0.0) / np.maximum(peak, 1e-12)


def distance_at(t: np.ndarray, length: float, v_in: float, v_out: float, limits: Limits) -> np.ndarray:
    """Distance covered at times ``t`` along one segment's trapezoid (or triangle) profile."""
    a, peak = limits.accel, float(_peak(length, v_in, v_out, limits))
    t_up = (peak - v_in) / a
    d_up = (peak**2 - v_in**2) / (2 * a)
    d_down = (peak**2 - v_out**2) / (2 * a)
    t_cruise = max(length - d_up - d_down, 0.0) / peak if peak > 0 else 0.0
    t_down = t - t_up - t_cruise
    return np.where(
        t <= t_up,
        v_in * t + a * t * t / 2,
        np.where(
            t_down <= 0, d_up + peak * (t - t_up), d_up + peak * t_cruise + peak * t_down - a * t_down**2 / 2
        ),
    ).clip(0, length)


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
