"""Where plots go: one small interface, and the device-free ``sim`` backend.

A plot session speaks only this interface, so the EiBotBoard backend (``ebb_backend``),
pyaxidraw (``axidraw_backend``) and the virtual clock of ``--dry-run`` are interchangeable.
Points are in millimetres from the home corner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from plotkit.errors import UserError
from plotkit.planner import plan_path, plotter_limits
from plotkit.presets import Plotter

# Called after each pen-down segment the device has accepted, with its index; True stops the
# line at that boundary (Ctrl-C, the pause button).
SegmentDone = Callable[[int], bool]


class LinkError(Exception):
    """The plotter stopped answering mid-plot: a pulled cable, a reset board, a refused command."""


class Backend(Protocol):
    def open(self) -> None:
        """Find and open the device, refusing with ``UserError`` before anything moves."""

    def connect(self) -> np.ndarray | None:
        """Set the device up (opening it first if need be); return where the carriage is if the
        device still knows it (a link re-established to a board that kept its power), None if it
        must be at home."""

    def pen_up(self) -> None: ...

    def pen_down(self) -> None: ...

    def move(self, to: np.ndarray) -> None:
        """Travel with the pen up."""

    def line(self, points: np.ndarray, segment_done: SegmentDone) -> None:
        """Draw along ``points`` (the carriage is at the first), reporting each segment."""

    def home(self) -> None:
        """Travel to the home corner with the pen up."""

    def button_pressed(self) -> bool:
        """Whether the plotter's pause button was pressed since the last call."""

    def close(self, emergency: bool = False) -> None:
        """Let go of the device; ``emergency`` lifts the pen at once, whatever was in flight."""


class SimBackend:
    """No device: moves advance a virtual clock by their planned time (``--dry-run``, tests)."""

    def __init__(self, plotter: Plotter):
        self.plotter = plotter
        self.down, self.up = plotter_limits(plotter)
        self.seconds = 0.0
        self.position = np.zeros(2)
        self._pen_is_up = True

    def clock(self) -> float:
        return self.seconds

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


BACKENDS = ("ebb", "axidraw", "sim")


def open_backend(name: str, plotter: Plotter, port: str | None) -> Backend:
    """The backend called ``name``; device backends import their libraries only here."""
    if name == "sim":
        return SimBackend(plotter)
    if name == "ebb":
        from plotkit.ebb_backend import EbbBackend

        return EbbBackend(plotter, port)
    if name == "axidraw":
        from plotkit.axidraw_backend import AxiDrawBackend

        return AxiDrawBackend(plotter, port)
    raise UserError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
