"""Plotting through pyaxidraw, the official AxiDraw Python API (interactive mode).

pyaxidraw is not on PyPI, so it is imported only when this backend is chosen. It plans its
own motion: each stroke is one ``draw_path`` call, so progress, the pause button and resume
advance per stroke here, where the ``ebb`` backend works per segment: a stroke the pause button
cut short goes on from the segment where pyaxidraw stopped (found from its position), but one
cut by a lost link is drawn again from where it was started. pyaxidraw cannot open a
pseudo-terminal by name, so a ``--port`` path is opened with pyserial and handed over as an
open port, which pyaxidraw accepts.
"""

from __future__ import annotations

import logging

import numpy as np
import serial

from plotkit.errors import UserError
from plotkit.plotter.interface import LinkError, SegmentDone
from plotkit.presets import Plotter
from plotkit.units import MM_PER_INCH

INSTALL = (
    "the axidraw backend needs pyaxidraw, which is not on PyPI: "
    "pip install https://cdn.evilmadscientist.com/dl/ad/public/AxiDraw_API.zip "
    "(or use --backend ebb, which needs nothing more)"
)
# pyaxidraw's speed and acceleration options are percentages of these (axidraw_conf.py).
MAX_SPEED_MM_S = 8.6979 * MM_PER_INCH  # speed_lim_xy_hr
MAX_ACCEL_MM_S2 = 40.0 * MM_PER_INCH  # accel_rate
STOPPED_BY_BUTTON, LOST_USB = 102, 104  # pyaxidraw's plot_status.stopped codes


def _percent(value: float, full: float) -> int:
    return max(1, min(100, round(100 * value / full)))


def _segment_at(points: np.ndarray, here: np.ndarray, tolerance_mm: float = 0.05) -> int:
    """The first segment of ``points`` that passes through ``here``: the path is drawn up to
    its start. Taking the first where a path crosses itself can only draw more again."""
    a, ab = points[:-1], np.diff(points, axis=0)
    t = np.clip(((here - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
    near = np.linalg.norm(here - (a + t[:, None] * ab), axis=1) <= tolerance_mm
    return int(np.argmax(near)) if near.any() else 0


class AxiDrawBackend:
    def __init__(self, plotter: Plotter, port: str | None):
        self.plotter = plotter
        self.port_name = port
        self._ad = None
        self._button = False
        self._dot = False
        self._messages: list[str] = []

    def open(self) -> None:
        try:
            from pyaxidraw import axidraw
        except ImportError:
            raise UserError(INSTALL) from None
        # its own messages (a button press, "home it manually") would break the progress bar and
        # contradict us: we act on those states ourselves, so keep them for error messages only
        ad = axidraw.AxiDraw(user_message_fun=self._messages.append)
        logging.getLogger("axidrawinternal").setLevel(logging.ERROR)
        ad.interactive()
        options = ad.options
        options.units = 2  # millimetres
        options.model = int(self.plotter.axidraw_model)
        options.speed_pendown = _percent(self.plotter.speed_pendown_mm_s, MAX_SPEED_MM_S)
        options.speed_penup = _percent(self.plotter.speed_penup_mm_s, MAX_SPEED_MM_S)
        options.accel = _percent(self.plotter.accel_pendown_mm_s2, MAX_ACCEL_MM_S2)
        options.pen_pos_up = round(self.plotter.pen_up_percent)
        options.pen_pos_down = round(self.plotter.pen_down_percent)
        if self.port_name is not None:
            try:
                options.port = serial.Serial(self.port_name, timeout=1.0)
            except (serial.SerialException, OSError) as exc:
                raise UserError(f"{self.port_name}: cannot open it ({exc}); check --port") from None
        ad.errors.disconnect = True  # a lost link raises instead of ending quietly
        if not ad.connect():
            said = f" ({self._messages[-1].strip()})" if self._messages else ""
            raise UserError(f"pyaxidraw found no AxiDraw{said}; plug it in and switch it on, or give --port")
        self._ad = ad

    def connect(self) -> None:
        if self._ad is None:
            self.open()
        return None  # pyaxidraw takes the carriage to be at home when it connects

    def _call(self, method: str, *args) -> None:
        try:
            getattr(self._ad, method)(*args)
        except RuntimeError as exc:
            raise LinkError(f"pyaxidraw: {exc}") from None
        if self._ad.errors.code == LOST_USB:
            raise LinkError("pyaxidraw lost the USB connection")

    def pen_up(self) -> None:
        if self._dot:  # a stroke of one point: lower and raise the pen where it is
            self._call("pendown")
            self._dot = False
        self._call("penup")

    def pen_down(self) -> None:
        self._dot = True  # draw_path lowers the pen itself; lowering it here would lift it again

    def move(self, to: np.ndarray) -> None:
        self._call("moveto", float(to[0]), float(to[1]))

    def line(self, points: np.ndarray, segment_done: SegmentDone) -> None:
        self._dot = False
        self._call("draw_path", [[float(x), float(y)] for x, y in points])
        done = len(points) - 1
        if self._ad.plot_status.stopped == STOPPED_BY_BUTTON:
            self._button = True  # it stopped with the pen up, somewhere along the path
            self._ad.plot_status.stopped = 0
            done = _segment_at(points, np.asarray(self._ad.current_pos(), float))
        for i in range(done):
            segment_done(i)

    def home(self) -> None:
        self._call("moveto", 0.0, 0.0)

    def button_pressed(self) -> bool:
        pressed, self._button = self._button, False
        return pressed

    def close(self, emergency: bool = False) -> None:
        if self._ad is None:
            return
        try:
            if emergency:
                self._ad.penup()
            self._ad.disconnect()
        except (RuntimeError, serial.SerialException, OSError):
            pass
        self._ad = None
