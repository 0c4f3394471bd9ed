"""Fixtures many tests share: a CLI runner, EiBotBoard emulators on pseudo-terminals, a local
receiver for notifications, and models built once per test session."""

from __future__ import annotations

import copy
import gc
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import optim.models
from optim.threads import cores
from plotkit.plotter.emulator import EBBEmulator, Faults

# A test worker holds up to 3.5 GB (a gallery, Ray's workers); more than four add little, as
# the optimizer tests share the cores out (optim.threads) and the others mostly wait.
WORKER_GB, MAX_WORKERS = 4, 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than cores, so that the tests waiting on an emulator, a browser or a
    subprocess leave no core idle: three on a 2-core, 24 GB machine (on a slower one of those:
    12 min in one process, 7.8 in two, 7.2 in three, all stealing work as they finish:
    --dist worksteal; 3 min in three on today's)."""
    free = _free_memory()
    by_memory = MAX_WORKERS if free is None else free // (WORKER_GB * 2**30)
    return max(1, min(cores() + 1, by_memory, MAX_WORKERS))


def _free_memory() -> int | None:
    """Bytes free for the workers: Linux's available memory, else half the machine's, or None
    where neither can be read (Windows)."""
    try:
        with open("/proc/meminfo") as meminfo:
            return next(int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable")) * 2**10
    except (OSError, StopIteration):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, ValueError, OSError):
        return None


@pytest.fixture(autouse=True, scope="session")
def models_built_once() -> Iterator[None]:
    """Tests build the same seeded networks hundreds of times, at seconds each: build each
    once and hand out copies (the same weights; a run may move or reformat its copy). An
    untrained copy shares the built weights, which no run writes (copying VGG16's 138M takes
    half a second): runs cut layers into new modules and only change the weights' layout;
    a trained copy gets its own, which load_model overwrites with the state dict."""
    built: dict[tuple, torch.nn.Module] = {}
    build = optim.models._build

    def once(name: str, trained: bool) -> torch.nn.Module:
        key = (name, trained, torch.initial_seed())  # load_model seeds the build
        if key not in built:
            built[key] = build(name, trained)
        shared = {} if trained else {id(p): p for p in built[key].parameters()}
        return copy.deepcopy(built[key], shared)

    patch = pytest.MonkeyPatch()
    patch.setattr(optim.models, "_build", once)
    yield
    patch.undo()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def at_first_checkpoint() -> Callable[[subprocess.Popen, Path], None]:
    """Wait until a real optimizer process has written its first ``checkpoint`` (a stop
    before it keeps nothing to resume); fail if the process ended first."""

    def wait(proc: subprocess.Popen, checkpoint: Path) -> None:
        deadline = time.monotonic() + 120
        while not checkpoint.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before its first checkpoint: give it more steps"

    return wait


@pytest.fixture
def emulator() -> Iterator[Callable[..., EBBEmulator]]:
    """Make emulators (``emulator(speedup=20, faults=Faults(...), pen_change_s=...)``); each is
    stopped at the end."""
    boards: list[EBBEmulator] = []

    def make(speedup: float = 20.0, faults: Faults | None = None, **options) -> EBBEmulator:
        board = EBBEmulator(speedup=speedup, faults=faults, **options)
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.stop()


@dataclass
class Receiver:
    """A local HTTP endpoint collecting what apprise's ``json://`` sends to it."""

    url: str
    messages: list[dict]
    arrived: threading.Condition

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    messages: list[dict] = []
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with arrived:
                messages.append(json.loads(body))
                arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"json://127.0.0.1:{server.server_address[1]}/", messages, arrived)
    server.shutdown()
    server.server_close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set the modules and objects collected so far apart from the garbage collector: they
    live as long as the worker, and each run's full collection (``hand_back_freed_memory``)
    walked all of them, 0.3 s a time (test_economy and test_sizes_and_output: 73 s, 64 s
    with this)."""
    gc.freeze()
