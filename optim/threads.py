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
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

SPIN = 10_000  # iterations a libgomp worker spins before it sleeps; its default is 300,000
POLICY = {"GOMP_SPINCOUNT": str(SPIN)}


def share_cores(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Set the OpenMP policy where the user set none; returns what this call set."""
    applied = {name: value for name, value in POLICY.items() if name not in environ}
    environ.update(applied)
    return applied


def use_threads(threads: int | None) -> None:
    """Run torch's work on ``threads`` threads; None leaves torch's choice (every core)."""
    if threads is not None:
        import torch  # after share_cores, which optim's import has run

        torch.set_num_threads(threads)


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
