"""Planned paths as EiBotBoard motion commands: timed ``XM`` slices along each profile.

Each segment's trapezoid profile is cut into slices of about 30 ms; a slice moves to the
position the profile reaches at its end time. Steps and milliseconds are rounded
cumulatively from absolute targets, so no rounding error builds up over a plot.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from plotkit.plotter.motion import PathPlan, distance_at
from plotkit.units import STEPS_PER_MM

SLICE_S = 0.03
SERVO_MIN, SERVO_MAX = 9855, 27831  # pen height 0% and 100%, standard servo


def servo_position(percent: float) -> int:
    return round(SERVO_MIN + (SERVO_MAX - SERVO_MIN) * percent / 100)


class MoveWriter:
    """Turns plans into ``XM`` commands, tracking the pen's absolute position in steps."""

    def __init__(self, steps_per_mm: float = STEPS_PER_MM):
        self.steps_per_mm = steps_per_mm
        self.steps = np.zeros(2, np.int64)  # x, y
        self.clock_ms = 0.0  # exact time, rounded per command from it

    def commands(self, plan: PathPlan) -> list[str]:
        return [cmd for segment in self.segments(plan) for cmd in segment]

    def segments(self, plan: PathPlan) -> Iterator[list[str]]:
        """The commands of each segment of ``plan``, made as they are taken: a plot stopped
        after a segment leaves the writer where the carriage is. The last ends exactly."""
        last = len(plan.durations) - 1
        for i, seconds in enumerate(plan.durations):
            p, q = plan.points[i], plan.points[i + 1]
            length = float(np.linalg.norm(q - p))
            n = max(1, math.ceil(seconds / SLICE_S))
            times = np.arange(1, n + 1) * seconds / n
            s = distance_at(times, length, plan.speeds[i], plan.speeds[i + 1], plan.limits)
            s[-1] = length
            commands = []
            for k, d in enumerate(s):
                target = np.round((p + (q - p) * (d / length)) * self.steps_per_mm).astype(np.int64)
                start_ms = round(self.clock_ms)
                self.clock_ms += seconds / n * 1000
                ms = round(self.clock_ms) - start_ms
                dx, dy = target - self.steps
                if ms <= 0 and (i, k) == (last, n - 1) and (dx or dy):
                    ms = 1  # never leave a path short of its end
                    self.clock_ms = start_ms + 1
                if ms <= 0:  # under half a millisecond: fold into the next slice
                    continue
                self.steps = target
                commands.append(f"XM,{ms},{dx},{dy}")
            yield commands

    def at(self, position_mm: np.ndarray) -> None:
        """Where the carriage is now (after a reconnect), in mm from home."""
        self.steps = np.round(np.asarray(position_mm) * self.steps_per_mm).astype(np.int64)
