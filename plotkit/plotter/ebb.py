"""Plotting straight to an EiBotBoard: plotink finds and opens it, we send planned step moves.

plotink's ``command()`` only logs a failed reply, so every command here goes through a strict
exchange that turns silence, an error reply or a serial fault into ``LinkError``: a plot never
runs on after the board stopped listening. The board's layer byte (``SL``/``QL``) marks a
board plotkit has set up; when it is still there on connecting, the board kept its power
and its step counters (``QS``) say where the carriage is, so a plot resumes after a pulled
cable without going home first.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import plotink.ebb_serial as ebb_serial
import serial

from plotkit.errors import UserError
from plotkit.plotter.ebb_moves import MoveWriter, servo_position
from plotkit.plotter.interface import LinkError, SegmentDone
from plotkit.plotter.kinematics import position_mm
from plotkit.plotter.motion import plan_path, plotter_limits
from plotkit.presets import Plotter

MARKER = 173  # our SL value: "set up by plotkit, counters valid"
REPLY_TIMEOUT_S = 5.0
BUTTON_POLL_S = 0.3


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence one library logger for the duration of a block."""
    logger = logging.getLogger(logger_name)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


class EbbBackend:
    def __init__(self, plotter: Plotter, port: str | None):
        self.plotter = plotter
        self.port_name = port
        self.down, self.up = plotter_limits(plotter)
        self.writer = MoveWriter()
        self.position = np.zeros(2)
        self.sent = 0  # commands acknowledged, for benchmarks
        self._serial: serial.Serial | None = None
        self._pen_is_up = True
        self._enabled = False
        self._last_poll = 0.0

    # -- the strict exchange ------------------------------------------------------------
    def _exchange(self, cmd: str, lines: int) -> list[str]:
        assert self._serial is not None
        try:
            self._serial.write(f"{cmd}\r".encode("ascii"))
            replies = [self._serial.readline() for _ in range(lines)]
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"the serial link failed during {cmd!r} ({exc})") from None
        if not all(r.endswith(b"\n") for r in replies):
            raise LinkError(f"no answer to {cmd!r} within {REPLY_TIMEOUT_S:g} s")
        text = [r.decode("ascii", "replace").strip() for r in replies]
        if any(t.startswith("!") for t in text):
            raise LinkError(f"the board refused {cmd!r}: {' '.join(text)}")
        self.sent += 1
        return text

    def _command(self, cmd: str) -> None:
        (reply,) = self._exchange(cmd, 1)
        if reply != "OK":
            raise LinkError(f"unexpected answer to {cmd!r}: {reply!r}")

    def _query(self, cmd: str) -> str:
        value, ok = self._exchange(cmd, 2)
        if ok != "OK":
            raise LinkError(f"unexpected answer to {cmd!r}: {value!r} {ok!r}")
        return value

    # -- the interface ------------------------------------------------------------------
    def open(self) -> None:
        name = self.port_name or ebb_serial.findPort()
        if name is None:
            raise UserError("no AxiDraw found on USB; plug it in and switch it on, or give --port")
        if not os.path.exists(name):
            raise UserError(
                f"{name}: no such serial port; check --port (python -m serial.tools.list_ports lists them)"
            )
        # plotink logs its own error for a port that is not a board; ours below says it all
        with _quiet("plotink.ebb_serial"):
            self._serial = ebb_serial.testPort(name)
        if self._serial is None:
            raise UserError(f"{name} did not answer as an EiBotBoard; check --port and the USB cable")
        self._serial.timeout = REPLY_TIMEOUT_S

    def connect(self) -> np.ndarray | None:
        if self._serial is None:
            self.open()
        kept_power = self._query("QL") == str(MARKER)
        self._query("QB")  # forget presses from before the plot
        self._command(f"SC,4,{servo_position(self.plotter.pen_up_percent)}")
        self._command(f"SC,5,{servo_position(self.plotter.pen_down_percent)}")
        if kept_power:
            self._wait_idle()
            m1, m2 = (int(v) for v in self._query("QS").split(","))
            self.position = np.array(position_mm(m1, m2))
        else:  # the carriage must be at home; until it first moves, the motors stay free
            self.position = np.zeros(2)
        self._enabled = kept_power
        self.writer.at(self.position)
        self._pen_is_up = False
        self.pen_up()
        return self.position.copy() if kept_power else None

    def _wait_idle(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            (status,) = self._exchange("QM", 1)  # QM,command,motor1,motor2,fifo; no OK
            if status.split(",")[1:] == ["0", "0", "0", "0"]:
                return
            time.sleep(0.05)
        raise LinkError("the board is still moving after 60 s")

    def pen_up(self) -> None:
        if not self._pen_is_up:
            self._command(f"SP,1,{round(self.plotter.pen_lift_s * 1000)}")
        self._pen_is_up = True

    def pen_down(self) -> None:
        if self._pen_is_up:
            self._command(f"SP,0,{round(self.plotter.pen_drop_s * 1000)}")
        self._pen_is_up = False

    def _enable(self) -> None:
        """Motors on at 16x microstepping, counters zeroed: from here the board knows where the
        carriage is, and the marker says so to a later connection."""
        if not self._enabled:
            self._command("EM,1,1")
            self._command(f"SL,{MARKER}")
            self._enabled = True

    def move(self, to: np.ndarray) -> None:
        self._enable()
        for cmd in self.writer.commands(plan_path(np.stack([self.position, to]), self.up)):
            self._command(cmd)
        self.position = np.asarray(to, float)

    def line(self, points: np.ndarray, segment_done: SegmentDone) -> None:
        self._enable()
        plan = plan_path(points, self.down)
        for i, commands in enumerate(self.writer.segments(plan)):
            for cmd in commands:
                self._command(cmd)
            self.position = plan.points[i + 1]
            if segment_done(i):
                return

    def home(self) -> None:
        self.pen_up()
        self.move(np.zeros(2))

    def button_pressed(self) -> bool:
        now = time.monotonic()
        if now - self._last_poll < BUTTON_POLL_S:
            return False
        self._last_poll = now
        return self._query("QB") == "1"

    def close(self, emergency: bool = False) -> None:
        if self._serial is None:
            return
        if emergency:  # a reply may be half read: start a fresh line, lift, take any answer
            try:
                self._serial.reset_input_buffer()
                self._serial.write(f"\rSP,1,{round(self.plotter.pen_lift_s * 1000)}\r".encode("ascii"))
                self._serial.readline()
            except Exception:  # best effort: a link that is gone fails in several ways (termios too)
                pass
        self._serial.close()
        self._serial = None
