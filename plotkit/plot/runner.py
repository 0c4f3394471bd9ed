"""One plot as a library object: checks, journal, backend, prompts, pauses and the outcome.

``plotkit plot`` (a terminal) and ``plotkit serve`` (a web page) are faces over a
``PlotRunner``: it tells them what happens through events delivered to one listener, and
takes their commands (answer a prompt, pause, stop) from any thread. Whatever ends a plot,
an error, a lost link, a journal that cannot be written or a stop, it ends in an ``Outcome``
with the pen raised and the journal at its last good state, so no face can leave the pen down.

Threading: ``run()`` blocks in the thread that calls it (the CLI's main thread, so signals
reach it; a server's worker thread) and calls the listener from there. ``answer``, ``pause``
and ``stop`` only set flags or fill a one-slot queue, so they are safe from any thread and
from a signal handler.
"""

from __future__ import annotations

import queue
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plotkit.errors import UserError
from plotkit.plot.drawing import PlotDrawing, check_fits, read_drawing, turn
from plotkit.plot.journal import Journal, open_journal
from plotkit.plot.session import Choice, PlotResult, PlotSession, PlotStatus, Prompt
from plotkit.plotter.backends import DEFAULT_BACKEND, open_backend
from plotkit.plotter.interface import Backend, LinkError
from plotkit.plotter.sim import SimBackend
from plotkit.presets import DEFAULT_PLOTTER, Plotter, load_plotter
from plotkit.units import parse_duration

PAUSE_KINDS = ("pause", "button", "paused")  # prompts that are a pause of the plot


@dataclass(frozen=True)
class PlotRequest:
    """What to plot and how: the options of ``plotkit plot``."""

    svg: Path
    plotter: str = DEFAULT_PLOTTER
    backend: str = DEFAULT_BACKEND
    port: str | None = None
    pause_every: str | None = None
    resume: bool = False
    yes: bool = False  # ask nothing: no pauses, no pen prompts
    optimize: bool = False
    dry_run: bool = False
    rotate: bool = False

    def resume_command(self) -> str:
        words = ["plotkit", "plot", str(self.svg), "--resume"]
        for flag, value, default in (
            ("--plotter", self.plotter, DEFAULT_PLOTTER),
            ("--backend", self.backend, DEFAULT_BACKEND),
            ("--port", self.port, None),
            ("--pause-every", self.pause_every, None),
        ):
            if value != default:
                words += [flag, str(value)]
        words += ["--optimize"] * self.optimize + ["--rotate"] * self.rotate + ["--yes"] * self.yes
        return shlex.join(words)


@dataclass(frozen=True)
class Outcome:
    """How a plot ended. ``reason``: finished, quit, button, paused, interrupt (a stop),
    abort (stopped at once), link, journal, home, error; ``message`` is the one line to show,
    resume command included; ``exit_code`` 0, 1, 2 or 130 as the CLI exits."""

    finished: bool
    reason: str
    message: str
    exit_code: int
    journal: Journal
    journal_path: Path
    pauses: int
    plotter_s: float  # plotter time of this run (a dry run's whole plot)
    error: BaseException | None = None  # what broke the plot, for a face that shows tracebacks


@dataclass(frozen=True)
class Progressed:
    status: PlotStatus


@dataclass(frozen=True)
class Prompted:
    """The pen is parked and the plot waits for ``answer()``."""

    prompt: Prompt


@dataclass(frozen=True)
class Paused(Prompted):
    """A prompt that is a pause (drawing time, the board's button, ``pause()``)."""


@dataclass(frozen=True)
class Stopped:
    outcome: Outcome


@dataclass(frozen=True)
class Finished:
    outcome: Outcome


@dataclass(frozen=True)
class Failed:
    """Ended by a fault (link, journal, an unexpected error): the pen raised, progress kept."""

    outcome: Outcome


Event = Progressed | Prompted | Stopped | Finished | Failed
Listener = Callable[[Event], None]


def drawing_for_plotter(
    svg: Path, plotter: str, optimize: bool, rotate: bool = False
) -> tuple[PlotDrawing, Plotter]:
    """The drawing (with ``rotate``, turned 90 degrees as ``vpype pagerotate`` turns it) and the
    plotter preset, refused with one line if it does not fit."""
    drawing = read_drawing(svg, optimize)
    model = load_plotter(plotter)
    if rotate:
        drawing = turn(drawing)
    check_fits(drawing, model, svg, turned=rotate)
    return drawing, model


class PlotRunner:
    """Checks the request at construction (``UserError`` before anything moves), plots on
    ``run()``. Commands come from any thread: ``answer``, ``pause``, ``stop``."""

    def __init__(self, request: PlotRequest, listener: Listener | None = None):
        self.request = request
        self.listener = listener or (lambda event: None)
        self.drawing, self.plotter = drawing_for_plotter(
            request.svg, request.plotter, request.optimize, request.rotate
        )
        pause_every = request.pause_every
        self.pause_every_s = parse_duration(pause_every, "--pause-every") if pause_every else None
        settings = {"optimize": request.optimize, "plotter": request.plotter, "rotate": request.rotate}
        strokes = sum(len(layer.strokes) for layer in self.drawing.layers)
        self.journal, self.journal_path = open_journal(
            request.svg, strokes, settings, request.resume, request.dry_run
        )
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._answers: queue.Queue[Choice] = queue.Queue(maxsize=1)
        self.waiting: Prompt | None = None  # the prompt the plot waits at, if any
        self._stopped_by = "a stop request"
        self._backend: Backend | None = None

    # -- commands, from any thread ------------------------------------------------------
    def answer(self, choice: Choice) -> None:
        """Answer the prompt the plot waits at (a second answer before it is read is dropped)."""
        try:
            self._answers.put_nowait(choice)
        except queue.Full:
            pass

    def pause(self) -> None:
        """Finish the segment, park and wait for an answer, as the board's button does."""
        self._pause.set()

    def stop(self, by: str = "a stop request") -> None:
        """Finish the segment, park, save and end (at a prompt: end there); ``by`` names who
        asked, for the message ("Ctrl-C", "SIGTERM")."""
        self._stopped_by = by
        self._stop.set()
        if self.waiting is not None:
            self.answer(Choice.QUIT)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the plot -----------------------------------------------------------------------
    def open(self) -> Backend:
        """Find and open the plotter (``UserError`` if it is not there; nothing moves); ``run``
        opens it if the face did not."""
        if self._backend is None:
            backend = open_backend(self.request.backend, self.plotter, self.request.port)
            backend.open()
            self._backend = backend
        return self._backend

    def _ask(self, prompt: Prompt) -> Choice:
        while not self._answers.empty():  # an answer given before this prompt is not for it
            self._answers.get_nowait()
        self.waiting = prompt
        try:
            if self._stop.is_set():
                return Choice.QUIT
            self.listener(Paused(prompt) if prompt.kind in PAUSE_KINDS else Prompted(prompt))
            return self._answers.get()
        finally:
            self.waiting = None

    def run(self) -> Outcome:
        """Plot (or simulate, for a dry run) to the end or a stop; never raises once the
        plotter is open: every end is an ``Outcome``, announced to the listener too."""
        r = self.request
        ask = None if r.yes else (lambda prompt: Choice.CONTINUE) if r.dry_run else self._ask
        pause_s = None if r.yes else self.pause_every_s
        if r.dry_run:
            sim = SimBackend(self.plotter)
            session = PlotSession(
                self.drawing, self.plotter, sim, self.journal, None, pause_every_s=pause_s, ask=ask
            )
            result = session.run()
            return self._end(result, None, sim.seconds)
        try:
            backend = self.open()
            session = PlotSession(
                self.drawing,
                self.plotter,
                backend,
                self.journal,
                self.journal_path,
                pause_every_s=pause_s,
                ask=ask,
                progress=lambda status: self.listener(Progressed(status)),
                stop=self._stop,
                pause=self._pause,
            )
            result = session.run()
        except UserError:
            raise  # refused while opening: nothing moved
        except BaseException as exc:  # noqa: BLE001 - every end of a plot becomes an outcome
            return self._end(None, exc, self.journal.elapsed_s)
        return self._end(result, None, self.journal.elapsed_s)

    def _end(self, result: PlotResult | None, exc: BaseException | None, plotter_s: float) -> Outcome:
        r, j, path = self.request, self.journal, self.journal_path
        saved = f"Progress is saved in {path}"
        resume = f"{saved}; to go on: {r.resume_command()}"
        reason = result.stopped_by if result is not None else _reason(exc)
        error = exc if exc is not None else result.error if result is not None else None
        code = {"finished": 0, "quit": 0, "button": 0, "paused": 0, "home": 2}.get(reason, 1)
        if reason in ("interrupt", "abort"):
            code = 130
        messages = {
            "finished": "",
            "quit": f"Stopped, pen parked. {resume}",
            "button": f"Stopped by the pause button, pen parked. {resume}",
            "paused": f"Stopped at a pause, pen parked. {resume}",
            "interrupt": f"Stopped by {self._stopped_by}, pen parked. {resume}",
            "abort": f"Stopped at once with the pen raised. {resume}",
            "link": f"Lost the plotter: {error}. {saved}; once it is connected again, go on with: "
            f"{r.resume_command()}",
            "home": "the plotter no longer knows where its carriage is; resume at a terminal, without "
            "--yes, to be walked through homing it by hand",
            "journal": _journal_message(error, path, j, r, result is not None and result.saved),
            "error": f"The plot stopped with the pen raised: {type(error).__name__}: {error}. {resume}",
        }
        pauses = result.pauses if result is not None else 0
        outcome = Outcome(
            reason == "finished", reason, messages[reason], code, j, path, pauses, plotter_s, error
        )
        if outcome.finished:
            self.listener(Finished(outcome))
        elif reason in ("link", "journal", "error"):
            self.listener(Failed(outcome))
        else:
            self.listener(Stopped(outcome))
        return outcome


def _reason(exc: BaseException | None) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "abort"
    return "link" if isinstance(exc, LinkError) else "error"


def _journal_message(
    error: BaseException | None, path: Path, journal: Journal, r: PlotRequest, saved: bool
) -> str:
    """Why the journal failed, where the plot stopped, and what the file on disk holds."""
    why = getattr(error, "strerror", None) or str(error)
    c = journal.cursor
    kept = "a later try saved it" if saved else "it keeps the progress of its last good save"
    return (
        f"Cannot write the journal {path} ({why}): stopped at layer {c.layer + 1}, stroke "
        f"{c.stroke + 1}, segment {c.segment} with the pen parked, and {kept}; free space or fix "
        f"the folder, then go on with: {r.resume_command()}"
    )
