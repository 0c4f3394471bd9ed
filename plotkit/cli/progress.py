"""The optimizer's progress on stderr (``plotkit excite``, ``vpype neuronexc``): a rich bar at
a terminal, and without one (a log file, ``nohup``) a plain full line every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from plotkit.units import format_duration

PLAIN_EVERY_S = 10.0  # without a terminal: one line this often, and at the last step

if TYPE_CHECKING:  # torch loads only when a command runs the optimizer
    from optim.excite import Progress as StepProgress


@contextmanager
def excite_bar(console: Console, quiet: bool) -> Iterator[Callable[[StepProgress], None]]:
    """A progress callback for ``run_excite``; the bar appears at the first step, so errors
    while loading the model stay one clean line, and it is gone when the block ends."""
    bars: list[Progress] = []
    said_at: list[float] = []

    def plain(p: StepProgress) -> None:
        now = time.monotonic()
        if said_at and now - said_at[0] < PLAIN_EVERY_S and p.step < p.steps:
            return
        said_at[:] = [now]
        rate = p.step / max(p.seconds, 1e-9)
        eta = (p.steps - p.step) / max(rate, 1e-9)
        console.print(
            f"excite: {p.phase} step {p.step}/{p.steps}, activation {p.activation:.4g}, "
            f"{rate:.2f} steps/s, elapsed {format_duration(p.seconds)}, ETA {format_duration(eta)}",
            highlight=False,
            soft_wrap=True,
        )

    def show(p: StepProgress) -> None:
        if quiet:
            return
        if not console.is_terminal:
            plain(p)
            return
        if not bars:
            bars.append(
                Progress(
                    TextColumn("[bold]{task.fields[phase]}[/]"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("activation {task.fields[activation]:.4g}"),
                    TextColumn("{task.fields[rate]:.2f} steps/s"),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    console=console,
                )
            )
            bars[0].add_task("excite", total=p.steps, activation=float("nan"), rate=0.0, phase=p.phase)
            bars[0].start()
        bar = bars[0]
        bar.update(
            bar.task_ids[0],
            completed=p.step,
            activation=p.activation,
            phase=p.phase,
            rate=p.step / max(p.seconds, 1e-9),
        )

    try:
        yield show
    finally:
        for bar in bars:
            bar.stop()
