"""Running the app under uvicorn, with the stops ``plotkit plot`` has: Ctrl-C, SIGTERM or
SIGHUP stop the plot at the next segment boundary, park the pen and save the journal before
the server ends; a second one ends it at once."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn

from plotkit.errors import UserError
from plotkit.serve.app import ServeConfig, create_app

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Server(uvicorn.Server):
    """uvicorn, whose first stop signal parks the plot before the server stops."""

    def __init__(self, config: uvicorn.Config, park: Callable[[], None]):
        super().__init__(config)
        self._park = park
        self._stopping = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._stopping:
            self.should_exit = self.force_exit = True
            return
        self._stopping = True

        def park_then_exit() -> None:
            try:
                self._park()
            finally:
                self.should_exit = True

        threading.Thread(target=park_then_exit, name="park", daemon=True).start()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one line saying why there is none."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = exc.strerror or exc
        raise UserError(f"--listen {host}:{port}: cannot listen there ({why}); choose another") from None
    sock.listen(64)
    return sock


def serve(config: ServeConfig, sock: socket.socket) -> str | None:
    """Serve on ``sock`` until a stop signal; the plot is parked and saved before returning.
    What was left holding the plotter, in a line, if anything."""
    app = create_app(config)
    server = _Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2), app.state.desk.shutdown
    )
    hangup = signal.signal(signal.SIGHUP, server.handle_exit)  # uvicorn itself takes INT and TERM
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGHUP, hangup)
    active = app.state.desk.state.active
    if active is None:
        return None
    return f"The plot of {active.name} is parked and saved: start plotkit serve again and Resume it."
