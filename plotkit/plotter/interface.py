"""Where plots go: one small interface that every backend implements.

A plot session speaks only this interface, so the EiBotBoard backend (``ebb``), pyaxidraw
(``axidraw``) and the virtual clock of ``--dry-run`` (``sim``) are interchangeable.
Points are in millimetres from the home corner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

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
