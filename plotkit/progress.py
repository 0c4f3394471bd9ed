"""Run the optimizer behind a rich progress bar on stderr, with a safe Ctrl-C, and save it."""

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

from optim.excite import ExciteResult, excite, pick_device
from optim.excite import Progress as StepProgress
from plotkit.drawing import write_drawing
from plotkit.errors import UserError, stderr
from plotkit.excite_options import ExciteRun


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
    run: ExciteRun,
    *,
    save: Path | None,
    save_option: str,
    size_mm: float,
    resume: bool,
    quiet: bool,
) -> tuple[ExciteResult, Path | None]:
    """Optimize with a progress bar; with ``save``, checkpoint beside it and write SVG, PNG and
    JSON there at the end (returns the sidecar). Ctrl-C says how to resume and exits 130."""
    if save is not None and not save.parent.is_dir():
        raise UserError(f"folder {save.parent} does not exist; create it or choose another {save_option}")
    if resume and save is None:
        raise UserError(
            f"--resume continues the run saved with {save_option} PATH; give the same {save_option}"
        )
    checkpoint = save.with_name(save.name + ".ckpt") if save is not None else None
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
            result = excite(
                run.settings,
                device=run.device,
                checkpoint=checkpoint,
                resume=resume,
                checkpoint_every=run.checkpoint_every,
                progress=show,
            )
        finally:
            for bar in bars:
                bar.stop()
    except KeyboardInterrupt:
        if checkpoint is None:
            said = f"Nothing was kept: give {save_option} PATH to make long runs resumable."
        elif not checkpoint.exists():
            said = "It stopped before the first step; there is nothing to resume, start again."
        else:
            said = f"Progress is saved in {checkpoint}; run the same command with --resume."
        stderr.print(f"Interrupted. {said}", highlight=False)
        raise SystemExit(130) from None
    if save is None:
        return result, None
    _, sidecar = write_drawing(result, save, str(pick_device(run.device)), run.pens, size_mm)
    checkpoint.unlink(missing_ok=True)
    return result, sidecar
