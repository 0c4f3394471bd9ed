"""From what the user asked to a run of the optimizer: its settings, pen set and device.

The paper decides the canvas: with real pens, the drawing is tiled until the thinnest pen
is at least ``MIN_PEN_PX`` wide where it is optimized, and the number of strokes is what
covers ``--ink`` of it at the pens' widths (unless --tile, --paths or --size say otherwise).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from optim.augment import Augment
from optim.coverage import strokes_for_ink
from optim.errors import SvgError
from optim.excite import ExciteSettings
from optim.limits import LIMITS, MIN_PEN_PX
from optim.render import StrokeScene
from optim.render.svg import read_svg
from plotkit.errors import UserError
from plotkit.excite.options import DrawingOptions
from plotkit.excite.request import DrawingRequest
from plotkit.excite.sidecar import Sidecar
from plotkit.presets import PenSet, load_pen_set


def tiles_for_pens(pen_set: PenSet, size: int, drawing_mm: float) -> int:
    """Tiles per side that make the thinnest pen ``MIN_PEN_PX`` wide on the canvas."""
    thinnest = min(p.width_mm for p in pen_set.pens)
    needed = max(1, math.ceil(MIN_PEN_PX * drawing_mm / thinnest / size))
    most = int(LIMITS["tile"][1])
    if needed > most:
        raise UserError(
            f"a {drawing_mm:g} mm drawing needs {needed} x {needed} tiles of {size} px for the "
            f"{thinnest:g} mm pen to be {MIN_PEN_PX:g} px wide, more than {most} x {most}; use a smaller "
            "--drawing-size or a larger --size, or give --tile"
        )
    return needed


@dataclass(frozen=True)
class ExciteRun:
    """What the options ask for: the optimizer's settings, the pen set, the device."""

    options: DrawingOptions  # what the user asked, kept in the sidecar
    settings: ExciteSettings
    pens: PenSet | None
    device: str
    checkpoint_every: float
    initial: StrokeScene | None = None  # --from: the strokes the run continues


def plan(asked: DrawingRequest, drawing_mm: float) -> ExciteRun:
    """The run for a drawing whose canvas side measures ``drawing_mm`` on paper."""
    v = asked.options
    pen_set = load_pen_set(v.pens) if v.pens else None
    tile = v.tile if v.tile is not None else tiles_for_pens(pen_set, v.size, drawing_mm) if pen_set else 1
    finetune = v.finetune_steps if v.finetune_steps is not None else v.steps if tile > 1 else 0
    px_per_mm = v.size * tile / drawing_mm
    pen_widths = tuple(p.width_mm * px_per_mm for p in pen_set.pens) if pen_set else ()
    initial = study_scene(v.start, asked.study, v.size) if asked.study is not None else None
    paths = initial.n_paths if initial is not None else v.paths
    if paths is None:
        width = statistics.mean(pen_widths) if pen_set else v.stroke_width
        paths = strokes_for_ink(v.ink, v.size, width, v.segments, v.seed)
    settings = ExciteSettings(
        model=v.model,
        weights=v.weights,
        objective=v.target,
        paths=paths,
        segments=v.segments,
        size=v.size,
        steps=v.steps,
        lr=v.lr,
        stroke_width=v.stroke_width,
        learn_widths=v.learn_widths,
        colors="pens" if pen_set else v.colors,
        palette=tuple(p.rgb for p in pen_set.pens) if pen_set else (),
        pen_widths=pen_widths,
        tile=tile,
        finetune_steps=finetune,
        augment=Augment(
            v.batch, v.input_size, v.perspective, v.crop_scale, v.jitter, v.pad, v.scale, v.rotate
        ),
        seed=v.seed,
        precision=v.precision,
        ink=v.ink if initial is None else None,
        respawn_every=v.respawn_every,
        max_pens=v.max_pens,
        start=v.start,
    )
    return ExciteRun(v, settings, pen_set, v.device, v.checkpoint_every, initial)


def study_scene(path: str, sidecar: Sidecar, size: int) -> StrokeScene:
    """The strokes of the drawing of ``sidecar`` (read from ``path``), on a canvas of ``size`` px."""
    svg = Path(path).parent / sidecar.svg
    try:
        scene = read_svg(svg)
    except (OSError, SvgError) as exc:
        raise UserError(
            f"--from {path}: cannot read its drawing {svg} ({exc}); keep it beside the .json"
        ) from None
    if not scene.n_paths:
        raise UserError(
            f"--from {path}: its drawing {svg} has no strokes to continue; give another drawing's .json"
        )
    return scene.scaled(size / scene.width)
