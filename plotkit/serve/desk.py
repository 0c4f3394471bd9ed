"""One plotter, one plot: the server's single point of decision. It starts plots (refusing
a second one), keeps the queue, tells every page what is happening and calls the owner back
(pen changes, pauses, stops, errors, the end)."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

from plotkit.errors import UserError
from plotkit.plot.journal import journal_path, load_journal
from plotkit.plot.notify import Notifier
from plotkit.plot.session import Choice
from plotkit.serve.hub import Hub
from plotkit.serve.job import Job
from plotkit.serve.state import Item, ServeState
from plotkit.serve.uploads import drawing_path


class Busy(UserError):
    """The plotter is taken: by a running plot, or by one stopped before its end."""


class Desk:
    def __init__(self, folder: Path, backend: tuple[str, str | None], notifier: Notifier, hub: Hub):
        self.folder, self.backend, self.notifier, self.hub = folder, backend, notifier, hub
        self.state = ServeState(folder)
        self.job: Job | None = None
        self.last: dict[str, Any] | None = None  # how the last plot ended, once nothing holds the plotter
        self._lock = threading.RLock()
        # Every state carries (boot, version): a page keeps the newest it has seen, so that an
        # answer computed before a change cannot undo it (a dialog closed under the user's thumb).
        self.boot = uuid.uuid4().hex
        self.version = 0

    # -- what every page sees ------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            plot = None
            active = self.state.active
            if active is not None:
                plot = {**active.to_json(), "state": "stopped", "status": None, "question": None}
                if self.job is not None:
                    plot |= self.job.to_json()
                elif (path := journal_path(self.folder / active.name)).exists():
                    j = load_journal(path)
                    plot["message"] = f"Stopped after {j.strokes_done} strokes, pen parked; resume to go on."
                else:  # deleted by hand while the server ran
                    plot["message"] = f"Its journal {path.name} is gone: start it over."
            return {
                "boot": self.boot,
                "version": self.version,
                "plot": plot,
                "last": self.last,
                "queue": [item.to_json() for item in self.state.queue],
            }

    def publish(self) -> None:
        with self._lock:
            self.version += 1
            self.hub.publish(self.version, json.dumps(self.snapshot()))

    def state_json(self) -> tuple[int, str]:
        """The state as a stream's first event: its version and its text."""
        with self._lock:
            return self.version, json.dumps(self.snapshot())

    # -- starting plots -------------------------------------------------------------------------
    def _refuse_if_taken(self, name: str) -> None:
        active = self.state.active
        if self.job is not None and not self.job.done:
            raise Busy(
                f"{active.name} is plotting: one plotter, one plot; queue {name} or stop that plot first"
            )
        if active is not None:
            raise Busy(f"{active.name} was stopped before its end: resume it or start it over first")

    def plot(self, item: Item, resume: bool = False) -> None:
        """Start ``item`` now, or refuse with the reason; anything wrong with the drawing, its
        journal or the plotter is refused before anything moves."""
        with self._lock:
            if not resume:
                self._refuse_if_taken(item.name)
            if not resume and self.state.resumable(item):
                self.state.active = item
                self.state.save()
                self.publish()
                raise Busy(f"{item.name} has an unfinished plot: resume it, or start it over")
            svg = drawing_path(self.folder, item.name)
            job = Job(svg, item.settings, resume, self.backend, self.notifier, self._changed)
            self.job, self.state.active, self.last = job, item, None
            self.state.save()
            job.start()
            self.publish()

    def resume(self) -> None:
        with self._lock:
            if self.job is not None and not self.job.done:
                raise Busy(f"{self.state.active.name} is plotting already")
            if self.state.active is None:
                raise UserError("no stopped plot to resume")
            self.plot(self.state.active, resume=True)

    def start_over(self) -> None:
        """Forget the stopped plot's progress (its journal), so it can be plotted from the start."""
        with self._lock:
            if self.job is not None and not self.job.done:
                raise Busy(f"{self.state.active.name} is plotting; stop it first")
            if self.state.active is not None:
                journal_path(self.folder / self.state.active.name).unlink(missing_ok=True)
                self.state.active, self.job = None, None
                self.state.save()
            self.publish()

    # -- the queue ------------------------------------------------------------------------------
    def enqueue(self, item: Item) -> None:
        drawing_path(self.folder, item.name)
        with self._lock:
            self.state.queue.append(item)
            self.state.save()
            self.publish()

    def dequeue(self, index: int) -> None:
        with self._lock:
            if not 0 <= index < len(self.state.queue):
                raise UserError(f"no drawing at place {index + 1} of the queue; reload the page")
            del self.state.queue[index]
            self.state.save()
            self.publish()

    def next(self) -> None:
        """The paper is changed: plot the first drawing of the queue."""
        with self._lock:
            if not self.state.queue:
                raise UserError("the queue is empty")
            item = self.state.queue[0]
            self.plot(item)
            self.state.queue.pop(0)
            self.state.save()
            self.publish()

    # -- the running plot ------------------------------------------------------------------------
    def _running(self) -> Job:
        if self.job is None or self.job.done:
            raise UserError("no plot is running")
        return self.job

    def answer(self, question: int, choice: Choice) -> None:
        if not self._running().answer(question, choice):
            raise Busy("that question was answered already (from another page)")

    def pause(self) -> None:
        self._running().pause()

    def stop(self) -> None:
        self._running().stop()

    def shutdown(self) -> None:
        """Stop the plot (next segment boundary, park, journal), deliver the last words, end
        every page's stream."""
        job = self.job
        if job is not None and not job.done:
            job.stop()
            job.thread.join()
        self.notifier.close()
        self.hub.close()

    def _changed(self, job: Job) -> None:
        with self._lock:
            if job is not self.job:
                return
            if job.done and self.state.active is not None:
                if job.state == "finished":
                    self.last = {**self.state.active.to_json(), **job.to_json()}
                    self.state.active = None
                    self.state.save()
            self.publish()
