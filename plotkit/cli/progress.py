"""The optimizer's progress on stderr (``plotkit excite`` and ``gallery``, ``vpype neuronexc``):
a rich bar at a terminal, and without one (a log file, ``nohup``) a plain full line every few
seconds."""

from __future__ import annotations

import math
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
    from plotkit.excite.gallery import GalleryProgress


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


@contextmanager
def gallery_bar(console: Console, quiet: bool) -> Iterator[Callable[[GalleryProgress], None]]:
    """A progress callback for ``run_gallery``: one bar over every channel's steps with the
    channels done and an ETA at a terminal; without one a plain line every few seconds and
    one as each channel is written."""
    bars: list[Progress] = []
    said: list[float] = []
    last_done: list[int] = []

    def plain(p: GalleryProgress) -> None:
        now = time.monotonic()
        finished = bool(last_done) and p.done > last_done[0]
        last_done[:] = [p.done]
        if said and now - said[0] < PLAIN_EVERY_S and not finished and p.step < p.steps:
            return
        said[:] = [now]
        what = f"ch {p.channel} written" if finished else f"ch {p.channel}"
        console.print(
            f"gallery: {what}, {p.done}/{p.total} channels done, step {p.step}/{p.steps}, "
            f"activation {p.activation:.4g}, elapsed {format_duration(p.seconds)}, ETA {_eta(p)}",
            highlight=False,
            soft_wrap=True,
        )

    def show(p: GalleryProgress) -> None:
        if quiet:
            return
        if not console.is_terminal:
            plain(p)
            return
        if not bars:
            bars.append(
                Progress(
                    TextColumn("[bold]ch {task.fields[channel]}[/]"),
                    TextColumn("{task.fields[done]}/{task.fields[channels]} channels"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("steps, activation {task.fields[activation]:.4g}"),
                    TimeElapsedColumn(),
                    TextColumn("ETA {task.fields[eta]}"),
                    console=console,
                )
            )
            bars[0].add_task(
                "gallery",
                total=p.steps,
                channel=p.channel,
                done=p.done,
                channels=p.total,
                activation=float("nan"),
                eta="?",
            )
            bars[0].start()
        bar = bars[0]
        bar.update(
            bar.task_ids[0],
            completed=p.step,
            channel=p.channel,
            done=p.done,
            activation=p.activation,
            eta=_eta(p),
        )

    try:
        yield show
    finally:
        for bar in bars:
            bar.stop()


def _eta(p: GalleryProgress) -> str:
    """The gallery's own estimate of the time left; '?' before its first step of work."""
    return "?" if math.isnan(p.eta) else format_duration(p.eta)
