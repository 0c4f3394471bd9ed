"""SIGTERM and SIGHUP are Ctrl-C: a ``kill``, a closed SSH session or a logout stops a command
the way Ctrl-C does, keeping what Ctrl-C keeps (a plot's journal, an optimizer checkpoint)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def signal_name(signum: int) -> str:
    """How a message names the signal: Ctrl-C, SIGTERM, SIGHUP."""
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


@contextmanager
def on_stop_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """Call ``handler(signum)`` on Ctrl-C, SIGTERM and SIGHUP in this block; the previous
    handlers come back after it. Installed explicitly: a process started with ``&`` from a
    script inherits SIGINT ignored, and Python leaves it so."""
    previous = {sig: signal.signal(sig, lambda signum, frame: handler(signum)) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interrupt(signum: int) -> None:
    raise KeyboardInterrupt


@contextmanager
def stops_as_ctrl_c() -> Iterator[None]:
    """In this block SIGTERM and SIGHUP raise ``KeyboardInterrupt`` as Ctrl-C does, so a job
    that saves its checkpoint on Ctrl-C saves it on them too."""
    with on_stop_signals(_interrupt):
        yield
