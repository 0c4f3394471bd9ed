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
)

from plotkit.units import format_duration

PLAIN_EVERY_S = 10.0  # without a terminal: a progress line this often (wall time), and when due

if TYPE_CHECKING:  # torch loads only when a command runs the optimizer
    from optim.excite import Progress as StepProgress
    from optim.run import ExciteResult
    from optim.settings import ExciteSettings
    from plotkit.excite.gallery import GalleryProgress
    from plotkit.excite.sidecar import PlotCost


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


ETA_STEPS = 50  # the step time behind the ETA is averaged over about this many steps


class StepTime:
    """Seconds per step, averaged exponentially over about ``ETA_STEPS`` steps, so that one
    slow step (a respawn's extra pass, the tiling) or a new phase moves the ETA gradually,
    where an average over the last seconds made it jump (15 min, 1h20, 8 min)."""

    def __init__(self) -> None:
        self.per_step = math.nan
        self.last: tuple[int, float] | None = None

    def update(self, step: int, seconds: float) -> None:
        """Take the optimizer's count of steps done and seconds spent on them."""
        if self.last is None:  # the steps so far (a resume's included) give the first estimate
            if step > 0:
                self.per_step = seconds / step
        elif step > self.last[0]:
            n = step - self.last[0]
            measured = (seconds - self.last[1]) / n
            kept = (1 - 1 / ETA_STEPS) ** n  # n steps' worth of forgetting
            self.per_step = kept * self.per_step + (1 - kept) * measured
        self.last = (step, seconds)

    def rate(self) -> float:
        """Steps per second (nan before the first step)."""
        return 1 / self.per_step if self.per_step > 0 else math.nan

    def eta(self, steps_left: int) -> str:
        return "?" if math.isnan(self.per_step) else format_duration(steps_left * self.per_step)


def phase_words(p: StepProgress, settings: ExciteSettings) -> tuple[str, str]:
    """The phase by name, and what the activation is measured on: the whole drawing while
    the base drawing is made, one window of the tiled canvas while it is fine-tuned (so it
    drops when fine-tuning starts, without the drawing getting worse)."""
    if p.phase == "base":
        return "base drawing", "whole drawing"
    if settings.tile == 1:
        return "fine-tuning", "whole drawing"
    tiles = f"{settings.tile} x {settings.tile}"
    return f"fine-tuning on {tiles} tiles", f"a {settings.size} px window of {settings.canvas} px"


@contextmanager
def excite_bar(
    console: Console, quiet: bool, settings: ExciteSettings
) -> Iterator[Callable[[StepProgress], None]]:
    """A progress callback for ``run_excite`` of ``settings``: the phase named, the activation
    with what it is measured on, and labelled elapsed time and ETA."""
    clock = StepTime()
    phases: list[str] = []

    def fields(p: StepProgress) -> dict[str, Any]:
        phase, basis = phase_words(p, settings)
        return {
            "phase": phase,
            "activation": f"activation {p.activation:.4g} ({basis})",
            "rate": f"{clock.rate():.2f} steps/s",
            "times": f"elapsed {format_duration(p.seconds)}, ETA {clock.eta(p.steps - p.step)}",
        }

    def line(p: StepProgress) -> str:
        f = fields(p)
        return f"excite: {f['phase']}, step {p.step}/{p.steps}, {f['activation']}, {f['rate']}, {f['times']}"

    def urgent(p: StepProgress) -> bool:
        """The last step and the first of a phase are always said."""
        new_phase = phases != [p.phase]
        phases[:] = [p.phase]
        return new_phase or p.step >= p.steps

    columns = [
        TextColumn("[bold]{task.fields[phase]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[activation]}"),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[times]}"),
    ]
    with _reporter(console, quiet, lambda: columns, fields, line, urgent) as show:

        def report(p: StepProgress) -> None:
            clock.update(p.step, p.seconds)
            show(p)

        yield report


def summary(result: ExciteResult, cost: PlotCost | None = None) -> str:
    """What a finished drawing reached, as ``plotkit excite`` and ``vpype neuronexc`` both say
    it, and with ``cost`` what plotting it takes."""
    line = (
        f"activation {result.initial_activation:.4g} -> {result.final_activation:.4g}, "
        f"{result.scene.n_paths} strokes inking {result.coverage:.0%}, in {result.seconds:.0f} s "
        f"({result.weights_label} weights, {result.precision})"
    )
    if cost is not None:
        line += (
            f"; plots in {format_duration(cost.seconds)} on {cost.plotter} "
            f"({cost.pen_down_m:.1f} m of line, {cost.lifts} pen lifts)"
        )
    return line


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
            TextColumn("elapsed {task.fields[elapsed]}, ETA {task.fields[eta]}"),
        ],
        lambda p: {
            "channel": p.channel,
            "done": p.done,
            "channels": p.total,
            "activation": p.activation,
            "elapsed": format_duration(p.seconds),
            "eta": _eta(p),
        },
        line,
        urgent,
    )


def _eta(p: GalleryProgress) -> str:
    """The gallery's own estimate of the time left; '?' before its first step of work."""
    return "?" if math.isnan(p.eta) else format_duration(p.eta)
