"""The device-free backend: moves advance a virtual clock by their planned time."""

from __future__ import annotations

import numpy as np

from plotkit.plotter.interface import SegmentDone
from plotkit.plotter.motion import plan_path, plotter_limits
from plotkit.presets import Plotter


class SimBackend:
    """No device: moves advance a virtual clock by their planned time (``--dry-run``, tests)."""

    def __init__(self, plotter: Plotter):
        self.plotter = plotter
        self.down, self.up = plotter_limits(plotter)
        self.seconds = 0.0
        self.position = np.zeros(2)
        self._pen_is_up = True

    def open(self) -> None:
        return None

    def connect(self) -> None:
        return None

    def pen_up(self) -> None:
        if not self._pen_is_up:
            self.seconds += self.plotter.pen_lift_s
        self._pen_is_up = True

    def pen_down(self) -> None:
        if self._pen_is_up:
            self.seconds += self.plotter.pen_drop_s
        self._pen_is_up = False

    def move(self, to: np.ndarray) -> None:
        self.seconds += plan_path(np.stack([self.position, to]), self.up).seconds
        self.position = np.asarray(to, float)

    def line(self, points: np.ndarray, segment_done: SegmentDone) -> None:
        plan = plan_path(points, self.down)
        for i, seconds in enumerate(plan.durations):
            self.seconds += float(seconds)
            self.position = plan.points[i + 1]
            if segment_done(i):
                return

    def home(self) -> None:
        self.move(np.zeros(2))

    def button_pressed(self) -> bool:
        return False

    def close(self, emergency: bool = False) -> None:
        return None
