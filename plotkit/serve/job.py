"""One plot of the page on a worker thread: the web face of ``PlotRunner``.

The runner checks the drawing and its journal and opens the plotter in the constructor, so
anything wrong is refused before the thread starts. Its events become the page's state (one
question at a time, numbered so that a late answer from a second browser cannot answer the
next one); Pause and Stop are the runner's own (the next segment boundary, park, journal).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from plotkit.plot.notify import Notifier, called_back
from plotkit.plot.runner import (
    Event,
    Failed,
    Finished,
    PlotRequest,
    PlotRunner,
    Progressed,
    Prompted,
    Stopped,
)
from plotkit.plot.session import Choice, PlotStatus
from plotkit.serve.state import PlotSettings

PUBLISH_EVERY_S = 0.2  # progress reaches the page at most this often, and at each layer change
_ids = itertools.count(1)


@dataclass(frozen=True)
class Question:
    id: int
    kind: str  # pen, home, pause, button, paused
    message: str


class Job:
    """A plot of ``svg``; ``on_change`` hears of every change of state and question, and of
    progress at most every ``PUBLISH_EVERY_S``; the owner is called back through ``notifier``."""

    def __init__(
        self,
        svg: Path,
        settings: PlotSettings,
        resume: bool,
        backend: tuple[str, str | None],
        notifier: Notifier,
        on_change: Callable[[Job], None],
    ):
        self.svg, self.on_change = svg, on_change
        request = PlotRequest(
            svg,
            settings.plotter,
            backend[0],
            backend[1],
            settings.pause_every or None,
            resume=resume,
            optimize=settings.optimize,
            rotate=settings.rotate,
        )
        self.runner = PlotRunner(request, called_back(notifier, svg.name, self._event))
        self.runner.open()
        self.drawing = self.runner.drawing
        self.state = "running"  # running, prompt, stopping, stopped, finished, error
        self.status: PlotStatus | None = None
        self.question: Question | None = None
        self.message = ""
        self._lock = threading.Lock()
        self._published = 0.0
        self.thread = threading.Thread(target=self.runner.run, name=f"plot {svg.name}", daemon=True)

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
        with self._lock:
            if self.question is None or self.question.id != question:
                return False
            self.question = None
            self.state = "stopping" if choice is Choice.QUIT else "running"
        self.runner.answer(choice)
        self.on_change(self)
        return True

    def pause(self) -> None:
        self.runner.pause()

    def stop(self) -> None:
        with self._lock:
            self.question = None
            if self.done:
                return
            self.state = "stopping"
        self.runner.stop(by="the page's Stop")
        self.on_change(self)

    # -- the runner's events, on the plot's thread ---------------------------------------------
    def _event(self, event: Event) -> None:
        if isinstance(event, Progressed):
            layer_changed = self.status is None or self.status.layer != event.status.layer
            self.status = event.status
            if not layer_changed and time.monotonic() - self._published < PUBLISH_EVERY_S:
                return
            self._published = time.monotonic()
        elif isinstance(event, Prompted):
            with self._lock:
                self.question = Question(next(_ids), event.prompt.kind, event.prompt.message)
                self.state = "prompt"
        elif isinstance(event, Finished | Stopped | Failed):
            outcome = event.outcome
            with self._lock:
                self.question = None
                self.state = {Finished: "finished", Stopped: "stopped", Failed: "error"}[type(event)]
                self.message = "Plotted to the end." if outcome.finished else _for_the_page(outcome.message)
        self.on_change(self)


def _for_the_page(message: str) -> str:
    """The runner's one line, its terminal command to resume replaced by the page's button."""
    said, saved, _ = message.partition(" Progress is saved")
    return f"{said} Progress is saved: Resume goes on from there." if saved else message
