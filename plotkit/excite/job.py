"""Run the optimizer as a command does: checkpoint beside the output, a safe Ctrl-C, and
the SVG, PNG and JSON sidecar written at the end. Progress goes to a callback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from optim.errors import OverBudget
from optim.excite import ExciteResult, excite
from optim.excite import Progress as StepProgress
from plotkit.errors import Interrupted, UserError
from plotkit.excite.budget import refusal
from plotkit.excite.outputs import write_drawing
from plotkit.excite.placement import A4, Page
from plotkit.excite.settings import ExciteRun
from plotkit.excite.sidecar import Sidecar


def checkpoint_beside(svg: Path) -> Path:
    """Where a drawing's run keeps its checkpoint until the drawing is written."""
    return svg.with_name(svg.name + ".ckpt")


def keep_drawing(result: ExciteResult, run: ExciteRun, svg: Path, size_mm: float, page: Page = A4) -> Sidecar:
    """Write ``svg`` on ``page`` with its strokes, PNG and JSON sidecar (returned), then drop
    the checkpoint."""
    sidecar = write_drawing(result, svg, run, size_mm, page)
    checkpoint_beside(svg).unlink(missing_ok=True)
    return sidecar


def run_excite(
    run: ExciteRun,
    *,
    save: Path | None,
    save_option: str,
    size_mm: float,
    resume: bool,
    progress: Callable[[StepProgress], None] | None = None,
    page: Page = A4,
) -> tuple[ExciteResult, Sidecar | None]:
    """Optimize; with ``save``, checkpoint beside it and write the drawing's files there at the
    end (returns their sidecar). Ctrl-C raises ``Interrupted`` saying how to resume."""
    if save is not None and not save.parent.is_dir():
        raise UserError(f"folder {save.parent} does not exist; create it or choose another {save_option}")
    if resume and save is None:
        raise UserError(
            f"--resume continues the run saved with {save_option} PATH; give the same {save_option}"
        )
    if save is not None:
        page.place(size_mm)  # a drawing larger than its page is refused before any work
    checkpoint = checkpoint_beside(save) if save is not None else None
    if not resume and checkpoint is not None and checkpoint.exists():
        raise UserError(
            f"{save} has an unfinished run (see {checkpoint.name}): add --resume to go on, "
            f"or delete {checkpoint.name} to start over"
        )
    try:
        result = excite(
            run.settings,
            device=run.device,
            checkpoint=checkpoint,
            resume=resume,
            checkpoint_every=run.checkpoint_every,
            progress=progress,
            initial=run.initial,
            measure=run.budget,
            threads=run.options.threads,
        )
    except KeyboardInterrupt:
        if checkpoint is None:
            said = f"Nothing was kept: give {save_option} PATH to make long runs resumable."
        elif not checkpoint.exists():
            said = "It stopped before the first step; there is nothing to resume, start again."
        else:
            said = f"Progress is saved in {checkpoint}; run the same command with --resume."
        raise Interrupted(f"Interrupted. {said}") from None
    except OverBudget as over:
        if checkpoint is not None:  # a resume would end the same way
            checkpoint.unlink(missing_ok=True)
        assert run.budget is not None  # only a budget or an overdraw limit raises it
        raise UserError(refusal(over, run.budget)) from None
    return result, keep_drawing(result, run, save, size_mm, page) if save is not None else None
