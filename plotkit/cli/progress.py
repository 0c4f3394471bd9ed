"""The optimizer's progress as a rich bar on stderr (``plotkit excite``, ``vpype neuronexc``)."""

from __future__ import annotations

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

if TYPE_CHECKING:  # torch loads only when a command runs the optimizer
    from optim.excite import Progress as StepProgress


@contextmanager
def excite_bar(console: Console, quiet: bool) -> Iterator[Callable[[StepProgress], None]]:
    """A progress callback for ``run_excite``; the bar appears at the first step, so errors
    while loading the model stay one clean line, and it is gone when the block ends."""
    bars: list[Progress] = []

    def show(p: StepProgress) -> None:
        if quiet:
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
