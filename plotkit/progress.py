"""Run the optimizer behind a rich progress bar on stderr, with a safe Ctrl-C."""

from __future__ import annotations

from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from optim.excite import ExciteResult, ExciteSettings, excite
from optim.excite import Progress as StepProgress
from plotkit.errors import stderr


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.fields[phase]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("activation {task.fields[activation]:.4g}"),
        TextColumn("{task.fields[rate]:.2f} steps/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
    )


def run_excite(
    settings: ExciteSettings,
    *,
    device: str,
    checkpoint: Path | None,
    resume: bool,
    quiet: bool,
    on_interrupt: str,
) -> ExciteResult:
    """``excite`` with progress; Ctrl-C prints ``on_interrupt`` (how to resume) and exits 130."""
    bars: list[Progress] = []  # made at the first step: model and objective errors stay one line

    def show(p: StepProgress) -> None:
        if quiet:
            return
        if not bars:
            bars.append(_bar())
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
        try:
            return excite(settings, device=device, checkpoint=checkpoint, resume=resume, progress=show)
        finally:
            for bar in bars:
                bar.stop()
    except KeyboardInterrupt:
        stderr.print(f"Interrupted. {on_interrupt}", highlight=False)
        raise SystemExit(130) from None
