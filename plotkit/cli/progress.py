"""The optimizer's progress on stderr (``plotkit excite`` and ``gallery``, ``vpype neuronexc``):
a rich bar at a terminal, and without one (a log file, ``nohup``) a plain full line every few
seconds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from plotkit.units import format_duration

PLAIN_EVERY_S = 10.0  # without a terminal: a progress line this often (wall time), and when due

if TYPE_CHECKING:  # torch loads only when a command runs the optimizer
    from optim.excite import Progress as StepProgress
    from optim.run import ExciteResult
    from plotkit.excite.gallery import GalleryProgress


@contextmanager
def _reporter(
    console: Console,
    quiet: bool,
    columns: Callable[[], list[ProgressColumn]],
    fields: Callable[[Any], dict[str, Any]],
    line: Callable[[Any], str],
    urgent: Callable[[Any], bool],
) -> Iterator[Callable[[Any], None]]:
    """A progress callback: at a terminal a rich bar of ``columns`` over ``p.step`` of
    ``p.steps``, made at the first report (so errors while loading a model stay one clean
    line) and gone when the block ends; without one, ``line(p)`` every ``PLAIN_EVERY_S``
    and whenever ``urgent(p)``."""
    bars: list[Progress] = []
    said_at: list[float] = []

    def show(p: Any) -> None:
        if quiet:
            return
        if not console.is_terminal:
            now = time.monotonic()
            if urgent(p) or not said_at or now - said_at[0] >= PLAIN_EVERY_S:
                said_at[:] = [now]
                console.print(line(p), highlight=False, soft_wrap=True)
            return
        if not bars:
            bars.append(Progress(*columns(), console=console))
            bars[0].add_task("", total=p.steps, **fields(p))
            bars[0].start()
        bars[0].update(bars[0].task_ids[0], completed=p.step, **fields(p))

    try:
        yield show
    finally:
        for bar in bars:
            bar.stop()


def _rate(p: StepProgress) -> float:
    return p.step / max(p.seconds, 1e-9)


def excite_bar(console: Console, quiet: bool) -> AbstractContextManager[Callable[[StepProgress], None]]:
    """A progress callback for ``run_excite``."""

    def line(p: StepProgress) -> str:
        eta = (p.steps - p.step) / max(_rate(p), 1e-9)
        return (
            f"excite: {p.phase} step {p.step}/{p.steps}, activation {p.activation:.4g}, "
            f"{_rate(p):.2f} steps/s, elapsed {format_duration(p.seconds)}, ETA {format_duration(eta)}"
        )

    return _reporter(
        console,
        quiet,
        lambda: [
            TextColumn("[bold]{task.fields[phase]}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("activation {task.fields[activation]:.4g}"),
            TextColumn("{task.fields[rate]:.2f} steps/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ],
        lambda p: {"phase": p.phase, "activation": p.activation, "rate": _rate(p)},
        line,
        lambda p: p.step >= p.steps,
    )


def summary(result: ExciteResult) -> str:
    """What a finished drawing reached, as ``plotkit excite`` and ``vpype neuronexc`` both say it."""
    return (
        f"activation {result.initial_activation:.4g} -> {result.final_activation:.4g}, "
        f"{result.scene.n_paths} strokes inking {result.coverage:.0%}, in {result.seconds:.0f} s "
        f"({result.weights_label} weights, {result.precision})"
    )


def gallery_bar(console: Console, quiet: bool) -> AbstractContextManager[Callable[[GalleryProgress], None]]:
    """A progress callback for ``run_gallery``: one bar over every channel's steps with the
    channels done and an ETA at a terminal; without one a plain line every few seconds and
    one as each channel is written."""
    last_done: list[int] = []
    written: list[bool] = [False]

    def urgent(p: GalleryProgress) -> bool:
        written[0] = bool(last_done) and p.done > last_done[0]
        last_done[:] = [p.done]
        return written[0] or p.step >= p.steps

    def line(p: GalleryProgress) -> str:
        what = f"ch {p.channel} written" if written[0] else f"ch {p.channel}"
        return (
            f"gallery: {what}, {p.done}/{p.total} channels done, step {p.step}/{p.steps}, "
            f"activation {p.activation:.4g}, elapsed {format_duration(p.seconds)}, ETA {_eta(p)}"
        )

    return _reporter(
        console,
        quiet,
        lambda: [
            TextColumn("[bold]ch {task.fields[channel]}[/]"),
            TextColumn("{task.fields[done]}/{task.fields[channels]} channels"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps, activation {task.fields[activation]:.4g}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
        ],
        lambda p: {
            "channel": p.channel,
            "done": p.done,
            "channels": p.total,
            "activation": p.activation,
            "eta": _eta(p),
        },
        line,
        urgent,
    )


def _eta(p: GalleryProgress) -> str:
    """The gallery's own estimate of the time left; '?' before its first step of work."""
    return "?" if math.isnan(p.eta) else format_duration(p.eta)
