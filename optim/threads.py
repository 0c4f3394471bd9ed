"""How an optimizer process shares the machine's cores with other processes.

PyTorch's OpenMP runtime on Linux (libgomp) keeps an idle worker thread spinning for about
300,000 iterations before it sleeps. Alone, that saves a wake-up at every parallel region.
Beside another CPU-heavy process it steals the cores the other's workers wait for, so both
crawl: two optimizer runs on two cores took 3 to 4 times as long as one, and 10 times with a
third busy process (benchmarks/load.py). A short spin (``SPIN``) keeps the wake-ups cheap
and lets the threads of two processes take turns.

libgomp reads its environment once, when it loads with torch, so ``share_cores`` must run
before the first ``import torch``: ``optim/__init__.py`` calls it, and every optimizer
module imports torch only after its package ``optim`` has run. A variable the user set
is kept. Where torch was imported before optim, the runtime's own policy stays.

Even with a short spin, two runs of one thread per core each put twice as many threads as
cores on the machine. So, unless told how many threads to run, each run takes its part of
the cores (``CoreShare``): the cores over the optimizer runs of this user now going, counted
again every ``RECOUNT`` seconds between steps, as runs start and end.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks to count runs by; each run takes every core
    fcntl = None

SPIN = 10_000  # iterations a libgomp worker spins before it sleeps; its default is 300,000
POLICY = {"GOMP_SPINCOUNT": str(SPIN)}
RECOUNT = 1.0  # seconds between counts of the runs sharing the cores
RUNS = Path(tempfile.gettempdir()) / f"plotkit-runs-{os.getuid()}"  # one locked file per run going


def share_cores(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Set the OpenMP policy where the user set none; returns what this call set."""
    applied = {name: value for name, value in POLICY.items() if name not in environ}
    environ.update(applied)
    return applied


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CoreShare:
    """This run's place among the optimizer runs going on this machine: a file in ``folder``
    that it holds locked while it runs. A file whose lock can be taken belongs to a run that
    ended without removing it (killed): counting removes it."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder = folder or RUNS
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # locked before it takes its name, so a counter never sees it unlocked
        fd, name = tempfile.mkstemp(dir=folder, prefix=".")
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.fd, self.path = fd, folder / f"{os.getpid()}-{Path(name).name[1:]}.run"
        os.rename(name, self.path)

    def runs(self) -> int:
        """The runs going now, this one among them."""
        going = 0
        for path in self.folder.glob("*.run"):
            if path == self.path:
                going += 1
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # ended while counted
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                going += 1
            else:
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)
        return going

    def threads(self) -> int:
        """This run's part of the cores."""
        return max(1, cores() // self.runs())

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


@contextlib.contextmanager
def threads_for_run(threads: int | None) -> Iterator[Callable[[], None]]:
    """While a run goes, ``threads`` threads, or where neither it nor the user's
    ``OMP_NUM_THREADS`` says, the run's part of the cores. Yields what the run calls between
    its steps (in the thread that runs them: OpenMP's thread count is that thread's own)."""
    import torch  # after share_cores, which optim's import has run

    if threads is not None:
        torch.set_num_threads(threads)
    share = None
    if threads is None and "OMP_NUM_THREADS" not in os.environ and fcntl is not None:
        with contextlib.suppress(OSError):  # no folder to count runs in: take every core
            share = CoreShare()
    if share is None:
        yield lambda: None
        return
    counted = -RECOUNT

    def recount() -> None:
        nonlocal counted
        if time.monotonic() - counted >= RECOUNT:
            part = share.threads()
            if part != torch.get_num_threads():
                torch.set_num_threads(part)
            counted = time.monotonic()

    try:
        recount()
        yield recount
    finally:
        share.close()
