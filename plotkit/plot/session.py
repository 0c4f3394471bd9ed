"""One plot from start (or journal) to finish: strokes in order, pauses, pen changes, resume.

The session drives a backend and keeps the journal true: a segment counts as drawn once the
device has accepted it, the journal is saved after every stroke, every ``SAVE_EVERY_MM`` of
drawing or ``SAVE_EVERY_S`` of plotter time inside a long one (a hard stop redraws at most
that), and whenever the plot stops for any reason. It knows no terminal: progress goes to a
callback, questions to ``ask`` (None: nobody to ask, so no pauses or pen prompts), and a
stop or a pause asked by the user arrives as ``stop`` or ``pause`` being set.

Whatever ends a plot, the pen ends raised: a stop, a pause or a journal that cannot be
written parks at the next segment boundary; any exception lifts the pen at once (the
backend's emergency close), saves what it can and goes on up.

Time is plotter time, one clock for the progress, the ETA and ``pause_every_s``: the planned
duration (the motion planner's, which the ``ebb`` and ``sim`` backends send exactly) of every
move, pen lift and drop the device has accepted. It is what a real board takes, and what an
emulator takes before its ``--speedup``; waiting at a prompt is not plotting.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from plotkit.plot.drawing import PlotDrawing
from plotkit.plot.journal import Cursor, Journal, release_space, reserve_space, save_journal
from plotkit.plot.schedule import stroke_plans
from plotkit.plotter.interface import Backend, LinkError
from plotkit.plotter.motion import plan_path, plotter_limits
from plotkit.presets import Plotter
from plotkit.units import format_duration

SAVE_EVERY_MM = 10.0  # journal interval inside long strokes, in drawn length
SAVE_EVERY_S = 1.0  # or in plotter time, for slow drawing


class Choice(StrEnum):
    CONTINUE = "continue"
    SKIP = "skip"  # stop pausing by drawing time
    QUIT = "quit"  # stop here and keep the progress


@dataclass(frozen=True)
class Prompt:
    kind: str  # pause, button, pen, home
    message: str


@dataclass(frozen=True)
class PlotStatus:
    layer: int
    layers: int
    layer_name: str
    strokes_done: int
    strokes: int
    drawn_mm: float
    total_mm: float
    pen_mm: float  # since the last pen change
    elapsed_s: float  # plotter time of what is drawn, over every session
    eta_s: float  # planned time of what is left


@dataclass(frozen=True)
class PlotResult:
    finished: bool
    stopped_by: str  # finished, quit, interrupt, button, paused, home, journal
    journal: Journal
    pauses: int  # pauses by drawing time taken
    error: OSError | None = None  # why the journal could not be written (stopped_by journal)
    saved: bool = True  # the journal on disk holds this result (False: an earlier state)


@dataclass(frozen=True)
class _Stroke:
    layer: int
    index: int
    points: np.ndarray
    seg_mm: np.ndarray  # length of each segment
    seg_s: np.ndarray  # planned time of each segment, drawn from the stroke's start
    planned_s: float  # travel to it from the previous stroke, pen down and up, drawing


def _strokes(drawing: PlotDrawing, plotter: Plotter) -> list[_Stroke]:
    pen_s = plotter.pen_lift_s + plotter.pen_drop_s
    return [
        _Stroke(
            p.layer,
            p.index,
            p.path.points,  # without repeated points: a segment index means the same to the backend
            np.linalg.norm(np.diff(p.path.points, axis=0), axis=1),
            p.path.durations,
            p.travel.seconds + p.path.seconds + pen_s,
        )
        for p in stroke_plans(drawing, plotter)
    ]


class _Stopped(Exception):
    def __init__(self, reason: str):
        self.reason = reason


class PlotSession:
    def __init__(
        self,
        drawing: PlotDrawing,
        plotter: Plotter,
        backend: Backend,
        journal: Journal,
        journal_file: Path | None,
        *,
        pause_every_s: float | None = None,
        ask: Callable[[Prompt], Choice] | None = None,
        progress: Callable[[PlotStatus], None] | None = None,
        stop: threading.Event | None = None,
        pause: threading.Event | None = None,
    ):
        self.drawing, self.plotter, self.backend, self.journal = drawing, plotter, backend, journal
        self.journal_file = journal_file
        self.pause_every_s = pause_every_s
        self.ask, self.progress = ask, progress
        self.stop = stop or threading.Event()
        self.pause = pause or threading.Event()
        self.strokes = _strokes(drawing, plotter)
        self.down, self.up = plotter_limits(plotter)
        self.total_mm = float(sum(s.seg_mm.sum() for s in self.strokes))
        self.pauses = 0
        self._saved_at = (0.0, 0.0)  # drawn mm and plotter time at the last save
        self.save_error: OSError | None = None  # the last save failed: the disk holds an earlier state
        self.journal_error: OSError | None = None  # the first failure: the plot stops at a boundary
        self._here = np.zeros(2)  # where the carriage is, for planning the time of travel
        self._pen_is_up = True

    # -- the plotter clock: each accepted move, lift and drop, at its planned time -------------
    def _travelled(self, to: np.ndarray) -> None:
        self.journal.elapsed_s += plan_path(np.stack([self._here, to]), self.up).seconds
        self._here = to

    def _move(self, to: np.ndarray) -> None:
        to = np.asarray(to, float)
        self.backend.move(to)
        self._travelled(to)

    def _home(self) -> None:
        self._pen_up()
        self.backend.home()
        self._travelled(np.zeros(2))

    def _pen_up(self) -> None:
        self.backend.pen_up()
        if not self._pen_is_up:
            self.journal.elapsed_s += self.plotter.pen_lift_s
        self._pen_is_up = True

    def _pen_down(self) -> None:
        self.backend.pen_down()
        if self._pen_is_up:
            self.journal.elapsed_s += self.plotter.pen_drop_s
        self._pen_is_up = False

    # -- bookkeeping --------------------------------------------------------------------
    def _save(self) -> None:
        """Save the journal; a failure is kept in ``save_error`` (the plot stops at the next
        boundary), the file on disk keeps its last good state."""
        self._saved_at = (self.journal.drawn_mm, self.journal.elapsed_s)
        if self.journal_file is None:
            return
        try:
            save_journal(self.journal_file, self.journal)
            self.save_error = None
        except OSError as exc:
            self.save_error = exc
            self.journal_error = self.journal_error or exc
            if exc.errno == errno.ENOSPC and release_space(self.journal_file):
                self._save()  # once more, in the room the reserve gave back

    def _save_due(self) -> bool:
        mm, s = self._saved_at
        return self.journal.drawn_mm - mm >= SAVE_EVERY_MM or self.journal.elapsed_s - s >= SAVE_EVERY_S

    def _halt(self) -> str | None:
        """Why the plot must stop at this boundary, if it must."""
        if self.journal_error is not None:
            return "journal"
        if self.stop.is_set():
            return "interrupt"
        if self.pause.is_set():
            self.pause.clear()
            return "paused"
        return None

    def _report(self, k: int, segment: int) -> None:
        if self.progress is None:
            return
        stroke = self.strokes[k] if k < len(self.strokes) else None
        left = sum(s.planned_s for s in self.strokes[k + 1 :])
        if stroke is not None:
            done = stroke.seg_mm[:segment].sum() / max(stroke.seg_mm.sum(), 1e-9)
            left += stroke.planned_s * (1 - done)
        layer = stroke.layer if stroke is not None else len(self.drawing.layers) - 1
        j = self.journal
        self.progress(
            PlotStatus(
                layer,
                len(self.drawing.layers),
                self.drawing.layers[layer].name,
                j.strokes_done,
                len(self.strokes),
                j.drawn_mm,
                self.total_mm,
                j.pen_mm,
                j.elapsed_s,
                left,
            )
        )

    def _index(self, cursor: Cursor) -> int:
        for k, s in enumerate(self.strokes):
            if (s.layer, s.index) >= (cursor.layer, cursor.stroke):
                return k
        return len(self.strokes)

    # -- the plot -----------------------------------------------------------------------
    def run(self) -> PlotResult:
        if self.journal_file is None:
            return self._run()
        reserve_space(self.journal_file)
        try:
            return self._run()
        finally:
            release_space(self.journal_file)

    def _run(self) -> PlotResult:
        j = self.journal
        resumed = j.strokes_done > 0 or j.cursor != Cursor()
        try:
            here = self.backend.connect()
            self._here = np.zeros(2) if here is None else np.asarray(here, float)
            if here is None and j.position_mm != (0.0, 0.0) and resumed:
                self._ask_or_stop(
                    Prompt(
                        "home",
                        "The plotter no longer knows where the carriage is: unplug its power "
                        "supply (that frees the motors), push the carriage to the home corner "
                        "(top left), plug the power back in",
                    )
                )
            k = self._index(j.cursor)
            if k < len(self.strokes) and 0 < len(self.strokes[k].seg_mm) <= j.cursor.segment:
                k = self._next(k)  # drawn to its end, stopped before the pen went up
            self._report(k, j.cursor.segment)
            first_pen = True  # a fresh plot's first pen, or the pen a resumed plot goes on with
            while k < len(self.strokes):
                stroke = self.strokes[k]
                new_layer = k > 0 and stroke.layer != self.strokes[k - 1].layer and j.cursor.segment == 0
                if first_pen or new_layer:
                    self._pen_change(k, "Resuming: put in" if resumed and first_pen else "Put in")
                    first_pen = False
                halt = self._draw(k)
                if j.cursor.segment < len(stroke.seg_mm):  # stopped inside the stroke
                    self._pause_or_stop(halt or "button")
                    continue
                k = self._next(k)
                self._save()
                self._report(k, 0)
                halt = self._halt()
                if halt is not None:
                    self._pause_or_stop(halt)
                elif self.backend.button_pressed():
                    self._pause_or_stop("button")
                elif self._pause_due(k):
                    self._pause()
            self._home()
            j.finished, j.stopped_by, j.position_mm = True, "finished", (0.0, 0.0)
            self._save()
            if self.journal_error is not None:
                raise _Stopped("journal")
            self.backend.close()
            return PlotResult(True, "finished", j, self.pauses)
        except _Stopped as stopped:
            self.backend.close()
            saved = self.save_error is None
            return PlotResult(False, stopped.reason, j, self.pauses, self.journal_error, saved)
        except BaseException as exc:  # a lost link, a second Ctrl-C, anything: lift the pen, keep progress
            j.stopped_by = "interrupt" if isinstance(exc, KeyboardInterrupt) else "link"
            if not isinstance(exc, KeyboardInterrupt | LinkError):
                j.stopped_by = "error"
            self._save()
            self.backend.close(emergency=True)
            raise

    def _next(self, k: int) -> int:
        """Count stroke ``k`` as drawn; the cursor moves to the start of the next."""
        k += 1
        nxt = self.strokes[k] if k < len(self.strokes) else None
        self.journal.cursor = Cursor(nxt.layer, nxt.index, 0) if nxt else Cursor(len(self.drawing.layers))
        self.journal.strokes_done += 1
        return k

    def _draw(self, k: int) -> str | None:
        """Draw stroke ``k`` from the journal's segment on, stopping at a boundary if asked;
        why it stopped early, if it did and not for the board's button."""
        stroke, j = self.strokes[k], self.journal
        first = j.cursor.segment
        points = stroke.points[first:]
        # what the backend plans: from rest at the first point, so a restart replans the rest
        seconds = stroke.seg_s if first == 0 else plan_path(points, self.down).durations
        j.position_mm = None  # unknown if the plot breaks off before the carriage is at rest
        self._move(points[0])
        self._pen_down()

        def segment_done(i: int) -> bool:
            length = float(stroke.seg_mm[first + i])
            j.cursor.segment = first + i + 1
            j.drawn_mm += length
            j.pen_mm += length
            j.elapsed_s += float(seconds[i])
            j.drawing_s += float(seconds[i])
            self._here = stroke.points[j.cursor.segment]
            if self._save_due():
                self._save()
            self._report(k, j.cursor.segment)
            if j.cursor.segment == len(stroke.seg_mm):
                return False  # the stroke's end is a boundary of its own
            halt[0] = self._halt()
            return halt[0] is not None or self.backend.button_pressed()

        halt: list[str | None] = [None]
        if len(points) > 1:
            self.backend.line(points, segment_done)
        self._pen_up()
        j.position_mm = tuple(float(v) for v in stroke.points[j.cursor.segment])
        return halt[0]

    def _park(self) -> None:
        self._home()
        self.journal.position_mm = (0.0, 0.0)
        self._save()

    def _ask_or_stop(self, prompt: Prompt) -> Choice:
        """Ask, at rest with the journal saved; quitting ends the plot here."""
        if self.ask is None:
            raise _Stopped(prompt.kind)
        self._save()
        if self.journal_error is not None:
            raise _Stopped("journal")
        choice = self.ask(prompt)
        if choice is Choice.QUIT:
            self.journal.stopped_by = "quit"
            self._save()
            raise _Stopped("quit")
        return choice

    def _pause_or_stop(self, reason: str) -> None:
        """A stop or a journal that cannot be written ends the plot parked (the save tried
        once more there); the pause button or a pause asked parks and asks (with nobody to
        ask, it stops)."""
        self._park()
        self.journal.stopped_by = reason
        self._save()
        if reason in ("interrupt", "journal"):
            raise _Stopped(reason)
        if reason == "paused":
            self._ask_or_stop(Prompt("paused", "Paused"))
        else:
            self._ask_or_stop(Prompt("button", "Paused by the plotter's button"))
        self.journal.stopped_by = ""

    def _pause_due(self, k: int) -> bool:
        """Someone to ask, enough drawing since the last pause, and more to draw with this pen:
        not before the last stroke's end nor before a layer change, which asks for a new pen
        anyway."""
        return (
            self.ask is not None
            and self.pause_every_s is not None
            and self.journal.drawing_s >= self.pause_every_s
            and k < len(self.strokes)
            and self.strokes[k].layer == self.strokes[k - 1].layer
        )

    def _pause(self) -> None:
        self.pauses += 1
        self._park()
        drawn = format_duration(self.journal.drawing_s)
        choice = self._ask_or_stop(
            Prompt("pause", f"{drawn} of drawing since the last pause: refresh or change the pen")
        )
        self.journal.drawing_s = 0.0
        if choice is Choice.SKIP:
            self.pause_every_s = None

    def _pen_change(self, k: int, what: str) -> None:
        """Park and ask for the pen of stroke ``k``'s layer: "Put in pen 2 of 3: 'red' (#d01010,
        0.3 mm)"."""
        if self.ask is None:
            return
        index = self.strokes[k].layer
        layer = self.drawing.layers[index]
        width = f", {round(layer.pen_width_mm, 3):g} mm" if layer.pen_width_mm else ""
        pen = f"pen {index + 1} of {len(self.drawing.layers)}: {layer.name!r} ({layer.color}{width})"
        self._park()
        self._ask_or_stop(Prompt("pen", f"{what} {pen}"))
        self.journal.pen_mm = 0.0
        self.journal.drawing_s = 0.0
