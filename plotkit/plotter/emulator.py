"""An EiBotBoard on a pseudo-terminal: real serial bytes in, strokes on virtual paper out.

It answers the EBB commands plotink and pyaxidraw send, as firmware 2.8 does (replies
byte for byte, including which queries end with ``OK``), and keeps time honestly:
motion commands go through a queue of one slot, and a queued command is acknowledged
only once it fits, so a host can never run ahead of the pen. Every pen-down move is
recorded in millimetres. Faults can be injected for tests: a dropped connection after
N commands, an error reply, a press of the pause button.

Pens. The EBB protocol has no pen-change command: a host changes pens by parking the
carriage at home with the pen up and waiting for the person at the plotter (plotkit does
this between layers and at its pauses; ``SL`` is a free byte hosts use for their own marks,
plotkit and pyaxidraw alike, so it cannot mean "layer"). The emulator reads that the same
way: after the carriage rested at home with the pen up, idle for ``pen_change_s`` or more
(wall time: a person is quick or slow in real seconds), the next pen-down starts a new layer
of the paper, unless the current one is still empty. A pause by drawing time or the pause
button parks and waits too, and the pen may have been changed there: it starts a layer as
well. A plot with no prompts (``plotkit plot --yes``) never waits, and is one layer.
"""

from __future__ import annotations

import math
import os
import pty
import select
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import vpype as vp

from optim.atomic import atomic_file
from plotkit.plotter.kinematics import motor_steps, position_mm
from plotkit.units import PX_PER_MM

LM_TICK_HZ = 25_000  # the EBB's motion interrupt rate
VERSION = "EBBv13_and_above EB Firmware Version 2.8.1"
PEN_CHANGE_S = 2.0  # a rest at home this long, pen up, is a pen change (see above)
HOME_MM = 0.5  # within this of home counts as at home


@dataclass
class Faults:
    """Injected faults, by the 1-based index of the received command."""

    drop_after: int | None = None  # close the connection once this many commands arrived
    error_at: frozenset[int] = frozenset()  # answer these commands with an error
    button_at: frozenset[int] = frozenset()  # press the pause button when these arrive


@dataclass
class _Move:
    seconds: float
    steps: tuple[int, int] = (0, 0)  # motor 1, motor 2
    pen_up: bool | None = None  # a pen command sets this
    home: bool = False


@dataclass
class Paper:
    """What was drawn: strokes as lists of (x, y) in millimetres, the pen (layer, from 1) of
    each, and the time it took."""

    strokes: list[list[tuple[float, float]]] = field(default_factory=list)
    layers: list[int] = field(default_factory=list)  # the layer of each stroke
    move_seconds: float = 0.0

    @property
    def layer_count(self) -> int:
        return len(set(self.layers))

    def copy(self) -> Paper:
        return Paper([list(s) for s in self.strokes], list(self.layers), self.move_seconds)

    def write_svg(self, path: str, size_mm: tuple[float, float]) -> None:
        """The strokes as an SVG on a sheet of ``size_mm`` (through vpype), one layer per pen.
        Written atomically (``optim.atomic``): a reader or a crash sees the previous record
        or this one, never half of one."""
        doc = vp.Document(page_size=(size_mm[0] * PX_PER_MM, size_mm[1] * PX_PER_MM))
        for layer in sorted(set(self.layers)):
            lines = [
                np.array([complex(x, y) for x, y in s]) * PX_PER_MM
                for s, pen in zip(self.strokes, self.layers, strict=True)
                if pen == layer and len(s) > 1
            ]
            if lines:
                doc.add(vp.LineCollection(lines), layer)
        with atomic_file(path, "w") as f:
            vp.write_svg(f, doc, page_size=doc.page_size)


class EBBEmulator:
    """Start with ``start()``: the returned path opens with pyserial like a real board."""

    def __init__(
        self,
        speedup: float = 1.0,
        faults: Faults | None = None,
        queue_slots: int = 1,
        pen_change_s: float = PEN_CHANGE_S,
    ):
        self.speedup = speedup
        self.faults = faults or Faults()
        self.queue_slots = queue_slots
        self.pen_change_s = pen_change_s
        self.paper = Paper()
        self.revision = 0  # counts changes to the paper, for saving only what changed
        self.commands: list[str] = []
        self._queue: deque[_Move] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._pen_up = True
        self._steps = [0, 0]  # step counters (QS), motor 1 (x + y), motor 2 (x - y), in EM units
        self._position = [0, 0]  # where the carriage really is, motor 1 and 2, in 16x microsteps
        self._microstep = 1  # EM mode: 1 = 16x ... 5 = full step
        self._button = False
        self._layer = 0
        self._pen = 1  # the layer of the paper pen-down moves go to
        self._idle_since: float | None = None  # wall time the last move ended, if none followed
        self._pen_changed = False  # rested at home: the next pen-down may start a layer
        self._open = False
        self._master = self._slave = -1
        self._threads: list[threading.Thread] = []

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> str:
        """Open a new port and return its path. After ``stop()`` this is a cable plugged back
        in while the board kept its power: queue drained, counters, pen and paper kept. A
        port still open is closed first, as unplugging would."""
        self.stop()
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        self._open = True
        self._threads = [
            threading.Thread(target=self._read_loop, daemon=True),
            threading.Thread(target=self._motion_loop, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return os.ttyname(self._slave)

    def stop(self) -> None:
        """Close the port (as pulling the USB cable would); the paper stays. The read thread
        closes the descriptors itself: closed under it, their numbers could be reused by a file
        opened meanwhile, which it would then read from or write to."""
        with self._cond:
            self._open = False
            self._cond.notify_all()
        if threading.current_thread() not in self._threads:
            for thread in self._threads:
                thread.join()

    def power_cycle(self) -> None:
        """The board loses its power, link included: queued moves, step counters, layer byte
        and microstep mode are gone, the pen springs up; the carriage stays where it was."""
        self.stop()
        with self._cond:
            self._queue.clear()
            self._steps, self._layer, self._microstep, self._pen_up = [0, 0], 0, 1, True

    def push_carriage(self, x_mm: float, y_mm: float) -> None:
        """Move the carriage by hand (motors off) to ``x_mm, y_mm`` from home."""
        self._position = [round(m) for m in motor_steps(x_mm, y_mm)]

    def record(self) -> tuple[Paper, int]:
        """A copy of the paper so far, and its revision, taken between two moves."""
        with self._cond:
            return self.paper.copy(), self.revision

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued move has been executed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                if not self._cond.wait(timeout=max(0.0, deadline - time.monotonic())):
                    return False
        return True

    # -- serial side --------------------------------------------------------------------
    def _write(self, text: str) -> None:
        try:
            os.write(self._master, text.encode("ascii"))
        except OSError:
            self._open = False

    def _read_loop(self) -> None:
        # This port's own descriptors: a start() after a stop() from this thread (a dropped link
        # plugged back in) opens new ones before this loop ends, and they must stay open.
        master, slave = self._master, self._slave
        try:
            self._serve(master)
        finally:
            for fd in (master, slave):
                os.close(fd)

    def _serve(self, master: int) -> None:
        buffer = b""
        while self._open:
            try:  # wake up now and then to notice stop()
                if not select.select([master], [], [], 0.1)[0]:
                    continue
                chunk = os.read(master, 4096)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            buffer += chunk
            while b"\r" in buffer or b"\n" in buffer:
                cut = min(i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0)
                line, buffer = buffer[:cut].decode("ascii", "replace").strip(), buffer[cut + 1 :]
                if line:
                    self._handle(line)
                if not self._open:
                    return

    def _handle(self, line: str) -> None:
        self.commands.append(line)
        index = len(self.commands)
        if index in self.faults.button_at:
            self._button = True
        if self.faults.drop_after is not None and index > self.faults.drop_after:
            self.stop()
            return
        if index in self.faults.error_at:
            self._write("!8 Err: injected fault\r\n")
            return
        name, *args = line.split(",")
        name = name.upper()
        try:
            handler = getattr(self, f"_cmd_{name}", None)
            if handler is None:
                self._write(f"!8 Err: Unknown command '{line}'\r\nOK\r\n")
            else:
                handler(args if name == "PI" else [int(a) for a in args])  # PI names its port by letter
        except (ValueError, IndexError):
            self._write(f"!8 Err: bad parameter in '{line}'\r\n")

    def _enqueue(self, move: _Move) -> None:
        """Acknowledge only once the move fits in the queue: the board's back-pressure."""
        with self._cond:
            while self._open and len(self._queue) >= self.queue_slots:
                self._cond.wait()
            self._queue.append(move)
            self._cond.notify_all()
        self._write("OK\r\n")

    # -- immediate commands -------------------------------------------------------------
    def _cmd_V(self, args: list[int]) -> None:
        self._write(VERSION + "\r\n")

    def _cmd_QB(self, args: list[int]) -> None:
        pressed, self._button = self._button, False
        self._write(f"{int(pressed)}\r\nOK\r\n")

    def _cmd_QP(self, args: list[int]) -> None:
        self._write(f"{int(self._pen_up)}\n\rOK\r\n")

    def _cmd_QM(self, args: list[int]) -> None:
        with self._cond:
            moving = int(self._busy)
            fifo = int(bool(self._queue))
        self._write(f"QM,{moving},{moving},{moving},{fifo}\n\r")

    def _cmd_QG(self, args: list[int]) -> None:
        with self._cond:
            bits = int(bool(self._queue)) | (int(self._busy) * 0b1110)
        bits |= int(self._pen_up) << 4
        pressed, self._button = self._button, False
        bits |= int(pressed) << 5
        self._write(f"{bits:02X}\r\n")

    def _cmd_QS(self, args: list[int]) -> None:
        # At once, as the board does: the counts of the moves completed so far.
        self._write(f"{self._steps[0]},{self._steps[1]}\n\rOK\r\n")

    def _cmd_CS(self, args: list[int]) -> None:
        self._steps = [0, 0]
        self._write("OK\r\n")

    def _cmd_QC(self, args: list[int]) -> None:
        self._write("0394,0300\r\nOK\r\n")

    def _cmd_QL(self, args: list[int]) -> None:
        self._write(f"{self._layer}\r\nOK\r\n")

    def _cmd_SL(self, args: list[int]) -> None:
        self._layer = args[0]
        self._write("OK\r\n")

    def _cmd_PI(self, args: list[str]) -> None:
        port, pin = args
        if port.upper() not in "ABCDE" or not 0 <= int(pin) <= 7:
            raise ValueError(port)
        self._write("PI,0\r\n")

    def _ok(self, args: list[int]) -> None:
        self._write("OK\r\n")

    _cmd_SC = _cmd_SR = _cmd_TP = _cmd_R = _ok

    # -- queued commands ----------------------------------------------------------------
    def _cmd_SP(self, args: list[int]) -> None:
        delay = args[1] / 1000 if len(args) > 1 else 0.0
        self._enqueue(_Move(delay, pen_up=bool(args[0])))

    def _cmd_EM(self, args: list[int]) -> None:
        self._microstep = args[0] if args[0] else self._microstep
        self._enqueue(_Move(0.0, home=True))  # enabling zeroes the step counters

    def _cmd_SM(self, args: list[int]) -> None:
        ms, s1 = args[0], args[1]
        s2 = args[2] if len(args) > 2 else 0
        rates = [abs(s) / (ms / 1000) for s in (s1, s2)]
        if not 1 <= ms <= 16_777_215 or any(r > 25_000 or (r and r < 1.31) for r in rates):
            self._write(f"!0 Err: <axis> step rate out of range in 'SM,{ms},{s1},{s2}'\r\n")
            return
        self._enqueue(_Move(ms / 1000, (s1, s2)))

    def _cmd_XM(self, args: list[int]) -> None:
        ms, a, b = args[0], args[1], args[2]
        self._cmd_SM([ms, a + b, a - b])

    def _cmd_HM(self, args: list[int]) -> None:
        rate = args[0]
        with self._cond:
            pending = [sum(m.steps[i] for m in self._queue) for i in range(2)]
        target = [-(self._steps[i] + pending[i]) for i in range(2)]
        seconds = max(abs(t) for t in target) / rate if rate else 0.0
        self._enqueue(_Move(seconds, (target[0], target[1])))

    def _cmd_LM(self, args: list[int]) -> None:
        r1, s1, a1, r2, s2, a2 = args[:6]
        seconds = max(_lm_seconds(r1, s1, a1), _lm_seconds(r2, s2, a2))
        self._enqueue(_Move(seconds, (s1, s2)))

    def _cmd_LT(self, args: list[int]) -> None:
        ticks, r1, a1, r2, a2 = args[:5]
        steps = [int(_lm_steps(r, a, ticks)) * (1 if r >= 0 else -1) for r, a in ((r1, a1), (r2, a2))]
        self._enqueue(_Move(ticks / LM_TICK_HZ, (steps[0], steps[1])))

    # -- motion -------------------------------------------------------------------------
    @property
    def pen_up(self) -> bool:
        return self._pen_up

    def _mm(self) -> tuple[float, float]:
        return position_mm(*self._position)

    def _motion_loop(self) -> None:
        while True:
            with self._cond:
                while self._open and not self._queue:
                    self._cond.wait()
                if not self._queue:
                    return
                move = self._queue.popleft()
                self._busy = True
                self._rested(time.monotonic())
                self._cond.notify_all()
            if move.seconds:
                time.sleep(move.seconds / self.speedup)
            with self._cond:
                self._apply(move)
                self._busy = False
                self._idle_since = None if self._queue else time.monotonic()
                self._cond.notify_all()

    def _rested(self, now: float) -> None:
        """A move starts: if the carriage waited at home with the pen up long enough before it,
        the pen may have been changed there."""
        at_home = max(abs(v) for v in position_mm(*self._position)) <= HOME_MM
        waited = self._idle_since is not None and now - self._idle_since >= self.pen_change_s
        if at_home and self._pen_up and waited:
            self._pen_changed = True

    def _apply(self, move: _Move) -> None:
        self.paper.move_seconds += move.seconds
        if move.home:
            self._steps = [0, 0]  # counters only: the carriage stays where it is
        if move.pen_up is not None:
            if move.pen_up != self._pen_up and not move.pen_up:
                if self._pen_changed and self._pen in self.paper.layers:
                    self._pen += 1
                self._pen_changed = False
                self.paper.strokes.append([self._mm()])
                self.paper.layers.append(self._pen)
                self.revision += 1
            self._pen_up = move.pen_up
        if move.steps != (0, 0):
            self._steps = [self._steps[0] + move.steps[0], self._steps[1] + move.steps[1]]
            scale = 2 ** (self._microstep - 1)
            self._position = [self._position[i] + move.steps[i] * scale for i in range(2)]
            if not self._pen_up:
                self.paper.strokes[-1].append(self._mm())
                self.revision += 1


def _lm_steps(rate: int, accel: int, ticks: int) -> float:
    """Steps an LM/LT axis makes in ``ticks``: the rate accumulates 2^31 per step."""
    return (abs(rate) * ticks + accel * ticks * (ticks + 1) / 2) / 2**31


def _lm_seconds(rate: int, steps: int, accel: int) -> float:
    """Time for an LM axis to make ``steps`` steps from ``rate`` with ``accel`` per tick."""
    if steps == 0:
        return 0.0
    n = abs(steps) * 2**31
    if accel == 0:
        return n / max(rate, 1) / LM_TICK_HZ
    # accel/2 k^2 + (rate + accel/2) k - n = 0
    b = rate + accel / 2
    k = (-b + math.sqrt(max(b * b + 2 * accel * n, 0.0))) / accel
    return k / LM_TICK_HZ
