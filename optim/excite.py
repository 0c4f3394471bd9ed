"""Find strokes that make a chosen channel or neuron of a CNN fire as strongly as possible.

Adam moves the control points (and, when asked, widths, colours or pen choices) of
random initial strokes; every step renders the drawing, shows the network a batch of
augmented views and follows minus the objective. For large drawings the result is then
tiled N x N and fine-tuned through random windows of the big canvas, so a fine-tuning
step costs what a base step costs. With an ink target and respawning (``economy``),
weak strokes move to where ink helps and the number drawn follows the coverage asked
for. Checkpoints make long runs safe to interrupt: resuming gives the same drawing as an
uninterrupted run with the same seed.

Several drawings of other channels of the same layer can run together (``excite_batch``):
their views share each forward pass, and each drawing ends as it would have alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from optim.allocator import hand_back_freed_memory, keep_freed_memory
from optim.errors import ExciteError, OverBudget
from optim.network import Network, pick_device
from optim.precision import PRECISIONS
from optim.render import StrokeScene
from optim.run import ExciteResult, Measure, Progress, Run
from optim.settings import COLOR_MODES, ExciteSettings
from optim.threads import threads_for_run

__all__ = [
    "COLOR_MODES",
    "PRECISIONS",
    "ExciteError",
    "ExciteResult",
    "ExciteSettings",
    "Measure",
    "Network",
    "Progress",
    "excite",
    "excite_batch",
    "memory_available",
    "memory_needed",
    "pick_device",
]


# Bytes a run holds per pixel: of the canvas (image, coverage, gradients, the final render),
# and of each view the network sees (activations kept for backward; VGG16 to conv4_3 keeps
# about 1.5 kB a pixel); and per stroke of the tiled canvas (control points with their
# gradients and Adam's moments, the line pieces of its render: about 11 kB measured on the
# CPU). Rough on purpose: they refuse runs that cannot fit, no more.
CANVAS_BYTES_PER_PIXEL = 64
VIEW_BYTES_PER_PIXEL = 2_048
STROKE_BYTES = 12_000


def strokes_held(settings: ExciteSettings) -> int:
    """Strokes the run holds at its largest: the pool, repeated over the tiles."""
    return settings.pool * settings.tile**2


def memory_needed(settings: ExciteSettings) -> int:
    """About how many bytes a run of ``settings`` needs at its peak."""
    views = settings.augment.batch * settings.augment.size**2
    return (
        CANVAS_BYTES_PER_PIXEL * settings.canvas**2
        + VIEW_BYTES_PER_PIXEL * views
        + STROKE_BYTES * strokes_held(settings)
    )


def memory_available(device: torch.device) -> int:
    """Free memory on ``device``: the GPU's, or what the system can give without swapping."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _too_big(settings: ExciteSettings, count: int, needed: int, available: int) -> ExciteError:
    together = f"{count} drawings at once, each with " if count > 1 else ""
    return ExciteError(
        f"this run needs about {needed / 2**30:.1f} GiB ({together}a {settings.canvas} px canvas, "
        f"{strokes_held(settings)} strokes, {settings.augment.batch} views of {settings.augment.size} px) "
        f"and {available / 2**30:.1f} GiB is free; use a smaller `size`, `tile`, `paths`, `batch` or "
        "`input_size`" + (", or fewer drawings at once" if count > 1 else "")
    )


def excite(
    settings: ExciteSettings,
    *,
    device: str = "auto",
    checkpoint: Path | None = None,
    resume: bool = False,
    checkpoint_every: float = 10.0,
    progress: Callable[[Progress], None] | None = None,
    initial: StrokeScene | None = None,
    measure: Measure | None = None,
    threads: int | None = None,
) -> ExciteResult:
    """Run (or resume) the optimization; Ctrl-C saves the checkpoint, then re-raises.
    ``initial`` strokes (with ``settings.start``) stand for the finished base steps; with a
    ``budget``, ``measure`` says what the finished drawing costs, to trim it to the budget.
    ``threads``: the CPU threads it runs; None shares the cores with the other runs going
    (``optim.threads``).

    A run that cannot fit in memory is refused before it starts, and one that runs out
    anyway stops with ``ExciteError`` (its last checkpoint kept) rather than a traceback."""
    report = None if progress is None else lambda _, p: progress(p)
    return excite_batch(
        [settings],
        device=device,
        checkpoints=[checkpoint],
        resume=resume,
        checkpoint_every=checkpoint_every,
        progress=report,
        initials=[initial],
        measures=[measure],
        threads=threads,
    )[0]


def excite_batch(
    settings: Sequence[ExciteSettings],
    *,
    device: str = "auto",
    checkpoints: Sequence[Path | None] | None = None,
    resume: bool | Sequence[bool] = False,
    checkpoint_every: float = 10.0,
    progress: Callable[[int, Progress], None] | None = None,
    initials: Sequence[StrokeScene | None] | None = None,
    measures: Sequence[Measure | None] | None = None,
    threads: int | None = None,
) -> list[ExciteResult]:
    """Run several drawings whose objectives read the same layers, their views in one
    forward pass per step; each ends as ``excite`` would end it alone (within float
    rounding of the bigger batch). ``progress(i, p)`` reports drawing ``i``'s steps."""
    dev = pick_device(device)
    keep_freed_memory()
    checkpoints = list(checkpoints) if checkpoints is not None else [None] * len(settings)
    resumes = [resume] * len(settings) if isinstance(resume, bool) else list(resume)
    initials = list(initials) if initials is not None else [None] * len(settings)
    measures = list(measures) if measures is not None else [None] * len(settings)
    needed, available = sum(memory_needed(s) for s in settings), memory_available(dev)
    if needed > available:
        raise _too_big(settings[0], len(settings), needed, available)
    try:
        with threads_for_run(threads) as recount:
            return _excite_batch(
                list(settings),
                dev,
                checkpoints,
                resumes,
                initials,
                measures,
                checkpoint_every,
                progress,
                recount,
            )
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if isinstance(exc, torch.OutOfMemoryError) or "allocate" in str(exc):
            raise _too_big(settings[0], len(settings), needed, memory_available(dev)) from None
        raise
    finally:
        hand_back_freed_memory()


def _excite_batch(
    settings: list[ExciteSettings],
    dev: torch.device,
    checkpoints: list[Path | None],
    resumes: list[bool],
    initials: list[StrokeScene | None],
    measures: list[Measure | None],
    checkpoint_every: float,
    progress: Callable[[int, Progress], None] | None,
    recount: Callable[[], None],
) -> list[ExciteResult]:
    network = Network(settings[0], dev, [s.objective for s in settings[1:]])
    runs = [
        Run(s, network, network.terms_for(s.objective), dev, ckpt, again, initial, measure)
        for s, ckpt, again, initial, measure in zip(
            settings, checkpoints, resumes, initials, measures, strict=True
        )
    ]
    last_save = time.perf_counter()
    try:
        while not all(run.finished for run in runs):
            recount()  # the threads: this run's part of the cores, as other runs start and end
            begun = [(i, run, run.begin()) for i, run in enumerate(runs) if not run.finished]
            begun = [(i, run, views) for i, run, views in begun if views is not None]
            if not begun:
                continue
            values = network.objectives([v for _, _, v in begun], [run.terms for _, run, _ in begun])
            means = [v.mean() for v in values]
            (-torch.stack(means).sum()).backward()
            for (i, run, _), value in zip(begun, means, strict=True):
                step = run.end(value.detach())
                if progress is not None:
                    progress(i, step)
            if time.perf_counter() - last_save >= checkpoint_every:
                for run in runs:
                    run.save()
                last_save = time.perf_counter()
    except KeyboardInterrupt:
        for run in runs:
            run.save()
        raise
    for run in runs:
        run.save()
    return [_result(i, run) for i, run in enumerate(runs)]


def _result(i: int, run: Run) -> ExciteResult:
    """Drawing ``i``'s result; ``OverBudget`` says which drawing it is."""
    try:
        return run.result()
    except OverBudget as over:
        over.drawing = i
        raise
