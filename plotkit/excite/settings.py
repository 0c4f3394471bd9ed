"""From what the user asked to a run of the optimizer: its settings, pen set and device.

The paper decides the canvas: one network view covers ``--view-size`` of paper (the
motifs' size), a larger drawing is tiled with such views, and strokes are at least
``--stroke-width`` pixels wide whatever the pen, drawn in several passes of a thinner pen.
The number of strokes is what covers ``--ink`` of the drawing at those widths (unless
--tile, --paths or --size say otherwise).
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
from optim.limits import LIMITS
from optim.render import StrokeScene
from optim.render.svg import read_svg
from plotkit.errors import UserError
from plotkit.excite.budget import PlotBudget, budgeted
from plotkit.excite.options import DEFAULTS, VIEW_MM, DrawingOptions
from plotkit.excite.placement import A4, Placement
from plotkit.excite.request import DrawingRequest
from plotkit.excite.sidecar import Sidecar
from plotkit.presets import PenSet, load_pen_set, load_plotter


def tiles_for_view(drawing_mm: float, view_mm: float) -> int:
    """Views per side that cover a drawing ``drawing_mm`` wide with views ``view_mm`` wide."""
    needed = max(1, math.ceil(drawing_mm / view_mm - 1e-9))
    most = int(LIMITS["tile"][1])
    if needed > most:
        raise UserError(
            f"a {drawing_mm:g} mm drawing in views of {view_mm:g} mm needs {needed} x {needed} tiles, "
            f"more than {most} x {most}; use a larger --view-size or a smaller --drawing-size, or give --tile"
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
    budget: PlotBudget | None = None  # --plot-time, --line-length: measures the finished drawing


def plan(asked: DrawingRequest, drawing_mm: float, placement: Placement | None = None) -> ExciteRun:
    """The run for a drawing whose canvas side measures ``drawing_mm`` on paper, written at
    ``placement`` (where a plot budget measures it; None: centred on A4, excite's default)."""
    v = asked.options
    pen_set = load_pen_set(v.pens) if v.pens else None
    view_mm = v.view_size or (drawing_mm if asked.study is not None else min(drawing_mm, VIEW_MM))
    if pen_set is not None and view_mm <= max(p.width_mm for p in pen_set.pens):
        widest = max(p.width_mm for p in pen_set.pens)
        raise UserError(
            f"--view-size {view_mm:g} mm is no wider than the {widest:g} mm pen; give views many pens wide"
        )
    tile = v.tile if v.tile is not None else tiles_for_view(drawing_mm, view_mm)
    finetune = v.finetune_steps if v.finetune_steps is not None else v.steps if tile > 1 else 0
    px_per_mm = v.size * tile / drawing_mm
    # a stroke is at least --stroke-width px wide, however thin its pen: wider, it is drawn in passes
    pen_widths = tuple(max(p.width_mm * px_per_mm, v.stroke_width) for p in pen_set.pens) if pen_set else ()
    initial = study_scene(v.start, asked.study, v.size) if asked.study is not None else None
    paths = initial.n_paths if initial is not None else v.paths
    if paths is None:
        width = statistics.mean(pen_widths) if pen_set else v.stroke_width
        # a budget's first guess is the default ink's strokes; budgeted() then fits them to it
        ink = v.ink if v.ink is not None else DEFAULTS.ink
        paths = strokes_for_ink(ink, v.size, width, v.segments, v.seed)
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
        max_overdraw=v.max_overdraw,
        start=v.start,
    )
    budget = None
    if v.plot_time is not None or v.line_length is not None or v.max_overdraw is not None:
        if settings.colors == "free":
            raise UserError("free colours have no pen to plot them, so no plot budget; use --pens SET")
        load_plotter(v.plotter)  # an unknown plotter is refused before any work
        placement = placement or A4.place(drawing_mm)
        budget = PlotBudget(v.plot_time, v.line_length, v.plotter, pen_set, placement, v.max_overdraw)
        settings = budgeted(settings, budget, continued=initial is not None)
    return ExciteRun(v, settings, pen_set, v.device, v.checkpoint_every, initial, budget)


def study_scene(path: str, sidecar: Sidecar, size: int) -> StrokeScene:
    """The strokes of the drawing of ``sidecar`` (read from ``path``), on a canvas of ``size`` px."""
    svg = Path(path).parent / sidecar.strokes_svg
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
