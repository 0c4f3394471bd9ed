"""One plot on a thread of its own, driven from the page: the only module of the server that
knows how a plot runs (``PlotSession``), so it can move onto another plot runner alone.

The page's buttons become the session's own inputs: Stop is its Ctrl-C (the next segment
boundary, park, journal), Pause is the plotter's pause button (the next segment boundary,
park, ask), and an answer from any browser answers the question the session is waiting on.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from plotkit.errors import PlotkitError
from plotkit.plot.drawing import PlotDrawing
from plotkit.plot.journal import open_journal
from plotkit.plot.session import Choice, PlotSession, PlotStatus, Prompt
from plotkit.plotter.backends import open_backend
from plotkit.plotter.interface import Backend, LinkError
from plotkit.presets import Plotter
from plotkit.serve.state import PlotSettings
from plotkit.units import parse_duration

PUBLISH_EVERY_S = 0.2  # progress reaches the page at most this often, and at each layer change
PAGE_PAUSE = "Paused from the page"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Question:
    """A prompt waiting for its answer, numbered so that a late answer from a second browser
    cannot answer the next one."""

    id: int
    kind: str
    message: str


class _PageButton:
    """The backend, its pause button pressed by the plotter or by the page."""

    def __init__(self, backend: Backend, pressed: threading.Event):
        self._backend, self._pressed = backend, pressed

    def __getattr__(self, name: str):
        return getattr(self._backend, name)

    def button_pressed(self) -> bool:
        by_page = self._pressed.is_set()
        self._pressed.clear()
        return self._backend.button_pressed() or by_page


class Job:
    """A plot of ``svg``, opened (journal and plotter) in the constructor so that anything
    wrong is refused before the thread starts; ``on_change`` hears of every change of state,
    prompt and (at most every ``PUBLISH_EVERY_S``) progress."""

    def __init__(
        self,
        svg: Path,
        settings: PlotSettings,
        drawing: PlotDrawing,
        plotter: Plotter,
        resume: bool,
        backend: tuple[str, str | None],
        on_change: Callable[[Job], None],
    ):
        self.svg, self.drawing, self.on_change = svg, drawing, on_change
        pause_s = parse_duration(settings.pause_every, "pause every") if settings.pause_every else None
        strokes = sum(len(layer.strokes) for layer in drawing.layers)
        journal, path = open_journal(svg, strokes, settings.journal_settings, resume, dry_run=False)
        device = open_backend(backend[0], plotter, backend[1])
        device.open()
        self._pause, self._stop = threading.Event(), threading.Event()
        self._answered = threading.Condition()
        self._answer: Choice | None = None
        self.state = "running"  # running, prompt, stopping, stopped, finished, error
        self.status: PlotStatus | None = None
        self.question: Question | None = None
        self.message = ""
        self._published = 0.0
        self._paused_by_page = False
        self.session = PlotSession(
            drawing,
            plotter,
            _PageButton(device, self._pause),
            journal,
            path,
            pause_every_s=pause_s,
            ask=self._ask,
            progress=self._progress,
            stop=self._stop,
        )
        self.thread = threading.Thread(target=self._run, name=f"plot {svg.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    @property
    def done(self) -> bool:
        return self.state in ("stopped", "finished", "error")

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "status": asdict(self.status) if self.status else None,
            "question": asdict(self.question) if self.question else None,
            "message": self.message,
            "layers": [{"name": layer.name, "color": layer.color} for layer in self.drawing.layers],
        }

    # -- commands from the page ---------------------------------------------------------------
    def answer(self, question: int, choice: Choice) -> bool:
        """Answer question ``question``; False if it is no longer the one asked."""
        with self._answered:
            if self.question is None or self.question.id != question:
                return False
            self._answer = choice
            self._answered.notify_all()
        return True

    def pause(self) -> None:
        self._paused_by_page = True
        self._pause.set()

    def stop(self) -> None:
        """Stop at the next segment boundary, park and save; a question waiting is answered
        with quit."""
        self._stop.set()
        with self._answered:
            if self.question is not None:
                self._answer = Choice.QUIT
                self._answered.notify_all()
        if not self.done:
            self._set("stopping")

    # -- the session's side -------------------------------------------------------------------
    def _set(self, state: str) -> None:
        self.state = state
        self.on_change(self)

    def _progress(self, status: PlotStatus) -> None:
        layer_changed = self.status is None or self.status.layer != status.layer
        self.status = status
        if layer_changed or time.monotonic() - self._published >= PUBLISH_EVERY_S:
            self._published = time.monotonic()
            self.on_change(self)

    def _ask(self, prompt: Prompt) -> Choice:
        if self._stop.is_set():
            return Choice.QUIT
        message = prompt.message
        if prompt.kind == "button" and self._paused_by_page:
            message, self._paused_by_page = PAGE_PAUSE, False
        with self._answered:
            self._answer = None
            self.question = Question(next(_ids), prompt.kind, message)
        self._set("prompt")
        with self._answered:
            while self._answer is None:
                self._answered.wait()
            choice, self.question = self._answer, None
        self._set("stopping" if choice is Choice.QUIT else "running")
        return choice

    def _run(self) -> None:
        try:
            result = self.session.run()
        except LinkError as exc:
            self.message = f"Lost the plotter: {exc}. Progress is saved; connect it again and resume."
            self._set("error")
        except Exception as exc:  # the page must hear of any end, and the journal stays as saved
            said = str(exc) if isinstance(exc, PlotkitError) else f"{type(exc).__name__}: {exc}"
            self.message = f"The plot stopped: {said}. Progress is saved; resume once it is mended."
            self._set("error")
        else:
            ended = "Plotted to the end." if result.finished else "Stopped, pen parked; resume to go on."
            self.message = ended
            self._set("finished" if result.finished else "stopped")
