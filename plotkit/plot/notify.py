"""Calling the plotter's owner back: pen changes, pauses, stops, errors and the end, sent
through apprise (ntfy, Telegram, e-mail, a JSON webhook, ...) to every ``--notify`` URL.

Sending happens on a worker thread of its own, so a slow or dead receiver never holds the
pen; ``close`` waits a little for what is still queued, so the last word of a plot that
ends the process (its end, its error) still goes out.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

import apprise

from plotkit.errors import UserError
from plotkit.plot.runner import Event, Failed, Finished, Listener, Progressed, Prompted, Stopped
from plotkit.plot.session import PlotStatus
from plotkit.units import format_duration

CLOSE_WAIT_S = 10.0  # at most this long to deliver what is queued when closing
EVENTS = {
    "pen": "pen change",
    "pause": "paused",
    "button": "paused",
    "paused": "paused",
    "home": "carriage to home",
    "stopped": "stopped",
    "error": "error",
    "finished": "finished",
}


@dataclass(frozen=True)
class PlotEvent:
    """What happened (a key of ``EVENTS``), to which drawing, where the plot is and what is
    left, in plotter time."""

    kind: str
    drawing: str
    message: str
    layer: str = ""
    left_s: float | None = None

    @property
    def title(self) -> str:
        return f"plotkit: {EVENTS[self.kind]}, {self.drawing}"

    @property
    def body(self) -> str:
        """The message, then where the plot is on a line of its own: the message may end in a
        command to copy."""
        where = [f"Layer {self.layer}"] if self.layer else []
        if self.left_s is not None and self.kind != "finished":
            where.append(f"{format_duration(self.left_s)} of plotting left")
        return self.message + (f"\n{', '.join(where)}." if where else "")


class Notifier:
    """Every URL checked at once (a typo is refused before the plot starts), messages sent
    in order on one worker thread."""

    def __init__(self, urls: list[str] | tuple[str, ...]):
        self.apprise = apprise.Apprise()
        for url in urls:
            if not self.apprise.add(url):
                raise UserError(
                    f"--notify {url!r} is not a notification URL apprise knows; "
                    "write it as apprise does (ntfy://topic, json://host:port/path, mailto://...)"
                )
        self._queue: queue.Queue[PlotEvent | None] = queue.Queue()
        self._worker: threading.Thread | None = None

    def __bool__(self) -> bool:
        return len(self.apprise) > 0

    def send(self, event: PlotEvent) -> None:
        if not self:
            return
        if self._worker is None:
            self._worker = threading.Thread(target=self._deliver, name="notify", daemon=True)
            self._worker.start()
        self._queue.put(event)

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Deliver what is queued, waiting ``wait_s`` at most, then stop the worker."""
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(wait_s)
            self._worker = None

    def _deliver(self) -> None:
        while (event := self._queue.get()) is not None:
            self.apprise.notify(title=event.title, body=event.body)


def called_back(notifier: Notifier, drawing: str, listener: Listener) -> Listener:
    """A plot runner's listener: ``listener`` (a face), with the owner called back first at
    each prompt (a terminal face then waits for its answer) and at the plot's end."""
    last: list[PlotStatus] = []

    def listen(event: Event) -> None:
        status = last[0] if last else None
        where = (f"{status.layer + 1}/{status.layers} {status.layer_name}", status.eta_s) if status else ("",)
        if isinstance(event, Progressed):
            last[:] = [event.status]
        elif isinstance(event, Prompted):
            notifier.send(PlotEvent(event.prompt.kind, drawing, f"{event.prompt.message}.", *where))
        elif isinstance(event, Finished | Stopped | Failed):
            kind = {Finished: "finished", Stopped: "stopped", Failed: "error"}[type(event)]
            said = "Plotted to the end." if event.outcome.finished else event.outcome.message
            notifier.send(PlotEvent(kind, drawing, said, *where))
        listener(event)

    return listen
