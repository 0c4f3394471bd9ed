"""A drawing's plot budget: the plotter's time (``--plot-time``) and each pen's line
(``--line-length``), made the optimizer's budget, and the ink one spot may take
(``--max-overdraw``), made a limit on which strokes it keeps.

The optimizer's budget is 1: a drawing costs the largest share it takes of any budget the
user set. The exact measure (``PlotBudget``) is what ``plotkit estimate --optimize`` says of
the written SVG: the strokes on their page, one layer per pen, in passes, merged and sorted,
timed by the planner on ``--plotter``. The optimizer steers its strokes with a cheaper
proxy, a cost per stroke and per pixel of line, fitted here to that measure on a random
drawing of the same recipe; the measure then trims the result to the budget exactly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from optim import economy
from optim.errors import OverBudget, Overdrawn
from optim.excite import ExciteSettings
from optim.limits import LIMITS
from optim.render import StrokeScene
from optim.state import drawing_of, initial_state, tiled
from plotkit.errors import UserError
from plotkit.excite.overdraw import Grid, crowded
from plotkit.excite.placement import Ink, Placement, plot_document, stroke_inks, strokes_line_collections
from plotkit.plot.drawing import PlotDrawing, document_drawing
from plotkit.plot.schedule import Estimate, estimate
from plotkit.presets import PenSet, load_plotter
from plotkit.units import format_duration

CALIBRATIONS = 2  # fits of the proxy: at the first guess of the strokes, then at the count it gives
FULL = 0.9  # a drawing plotting in less of its --plot-time than this says why


@dataclass(frozen=True)
class PlotBudget:
    """The budgets the user set and the page and pens a drawing is written with; called on
    a drawing's strokes, it gives the largest share of a budget they take."""

    seconds: float | None
    line_mm: float | None
    plotter: str
    pens: PenSet | None
    placement: Placement
    max_overdraw: int | None = None

    @property
    def priced(self) -> bool:
        """Whether a time or line budget is set (an overdraw limit alone costs nothing)."""
        return bool(self.seconds or self.line_mm)

    def drawing(self, scene: StrokeScene, choice: torch.Tensor | None) -> PlotDrawing:
        collections = strokes_line_collections(scene, choice, self.pens, self.placement)
        return document_drawing(plot_document(collections, self.placement), "the drawing")

    def timed(self, drawing: PlotDrawing) -> Estimate | None:
        """The planner's estimate of ``drawing``, when there is a time budget."""
        return estimate(drawing, load_plotter(self.plotter)) if self.seconds else None

    def shares(self, drawing: PlotDrawing, timed: Estimate | None = None) -> tuple[float, float]:
        """Shares of the plotting time (from ``timed``, when already estimated) and of the
        busiest pen's line the drawing takes."""
        timed = timed or self.timed(drawing)
        time = timed.seconds / self.seconds if timed is not None else 0.0
        line = (
            max(_pen_down_mm(layer.strokes) for layer in drawing.layers) / self.line_mm
            if self.line_mm
            else 0.0
        )
        return time, line

    def __call__(self, scene: StrokeScene, choice: torch.Tensor | None) -> float:
        if not scene.n_paths or not self.priced:
            return 0.0
        return max(self.shares(self.drawing(scene, choice)))

    def crowded(self, scene: StrokeScene, choice: torch.Tensor | None, order: torch.Tensor) -> torch.Tensor:
        """Which strokes to leave out, taken in ``order`` (the strongest first), so that no
        spot is inked more than ``max_overdraw`` times."""
        if self.max_overdraw is None or not scene.n_paths:
            return torch.zeros(scene.n_paths, dtype=torch.bool)
        grid, inks = self.inks(scene, choice)
        pairs = [(ink.paths, ink.pen) for ink in inks]
        return torch.from_numpy(crowded(grid, pairs, order.tolist(), self.max_overdraw))

    def own_overdraw(self, scene: StrokeScene, choice: torch.Tensor | None) -> list[int]:
        """The most times each stroke, alone, inks one spot (a loop, its passes overlapping)."""
        grid, inks = self.inks(scene, choice)
        return [int(grid.layings(ink.paths, ink.pen)[1].max(initial=0)) for ink in inks]

    def inks(self, scene: StrokeScene, choice: torch.Tensor | None) -> tuple[Grid, list[Ink]]:
        """Each stroke's passes as written, and the grid of spots their ink is counted on."""
        inks = stroke_inks(scene, choice, self.pens, self.placement)
        p = self.placement
        return Grid.over(p.x, p.y, p.side, p.side, min(ink.pen for ink in inks)), inks


def _pen_down_mm(strokes: tuple[np.ndarray, ...]) -> float:
    return float(sum(np.linalg.norm(np.diff(s, axis=0), axis=1).sum() for s in strokes))


def budgeted(settings: ExciteSettings, budget: PlotBudget, continued: bool = False) -> ExciteSettings:
    """``settings`` with the budget, the proxy fitted to it, and ``economy.BUDGET_START`` times
    as many strokes as it buys; a ``continued`` study keeps its strokes, and the budget parks
    and trims them. An overdraw limit alone leaves the strokes as they are."""
    refused = _too_crowded(budget, settings) or _buys_nothing(budget, settings)
    if refused is not None:
        raise UserError(refused)
    if not budget.priced:
        return settings
    paths = settings.paths
    for _ in range(CALIBRATIONS):
        scene, choice = _random_drawing(settings, paths)
        each, per_px = _fit(budget, budget.drawing(scene, choice), scene)
        if continued:
            break
        one = settings.tile**2 * (each + per_px * float(_lengths(scene).mean()))
        most = int(LIMITS["paths"][1])
        if economy.BUDGET_AIM / one > most:
            raise UserError(
                f"{_said(budget)} buys about {economy.BUDGET_AIM / one:,.0f} strokes, more than the {most:,} "
                "a drawing may have; give a smaller budget"
            )
        paths = max(1, int(economy.BUDGET_AIM / one))
    if not continued:
        paths = min(int(LIMITS["paths"][1]), math.ceil(economy.BUDGET_START * paths))
    return dataclasses.replace(settings, paths=paths, ink=None, budget=1.0, stroke_cost=(each, per_px))


def _fit(budget: PlotBudget, drawing: PlotDrawing, scene: StrokeScene) -> tuple[float, float]:
    """Cost per stroke and per pixel of line, as shares of the binding budget, that add up
    to what ``drawing`` (of ``scene``'s strokes) takes of it."""
    timed = budget.timed(drawing)
    time, line = budget.shares(drawing, timed)
    length_px = float(_lengths(scene).sum())
    if time >= line:
        per_px = timed.drawing_seconds / length_px / budget.seconds
        return max(0.0, time - per_px * length_px) / scene.n_paths, per_px
    return 0.0, line / length_px


def _lengths(scene: StrokeScene) -> torch.Tensor:
    return economy.path_lengths(scene.points, scene.segments)


def _random_drawing(settings: ExciteSettings, paths: int) -> tuple[StrokeScene, torch.Tensor | None]:
    """The strokes a run of ``settings`` with ``paths`` strokes starts from, tiled as the run
    tiles them, each on the pen it leans to first."""
    start = dataclasses.replace(settings, paths=paths)
    state = initial_state(start, torch.device("cpu"))
    if start.tile > 1:
        state = tiled(state, start)
    scene, choice, _ = drawing_of(state, start)
    return scene, choice


def _said(budget: PlotBudget) -> str:
    """The budget options as the user gives them."""
    said = [f"--plot-time {format_duration(budget.seconds)}"] if budget.seconds else []
    said += [f"--line-length {budget.line_mm / 1000:g}m"] if budget.line_mm else []
    return " and ".join(said)


def _too_crowded(budget: PlotBudget, settings: ExciteSettings) -> str | None:
    """Why an overdraw limit leaves hardly a stroke of the recipe (most lay ink on a spot of
    their own more often: a loop, passes that overlap), with the least that keeps half; None
    if it keeps them."""
    if budget.max_overdraw is None:
        return None
    own = sorted(budget.own_overdraw(*_random_drawing(settings, settings.paths)))
    least = own[(len(own) - 1) // 2]
    if least <= budget.max_overdraw:
        return None
    return (
        f"--max-overdraw {budget.max_overdraw} leaves out most strokes: each lays ink {least} times on some "
        f"spot of its own (a loop, or its passes overlapping); give at least --max-overdraw {least}"
    )


def _buys_nothing(budget: PlotBudget, settings: ExciteSettings) -> str | None:
    """Why a budget buys not even one stroke, with the smallest that buys one; None if it does.
    The stroke is priced as long as it may grow, straight across the drawing (or each tile):
    one priced as it starts (10 mm at 6 cm) was seen to end six times as long."""
    if not budget.priced:
        return None
    scene, choice = _random_drawing(settings, 1)
    shares = [budget.shares(budget.drawing(across, choice)) for across in _across(scene, settings.tile)]
    time, line = (max(s) for s in zip(*shares, strict=True))
    if max(time, line) <= 1:
        return None
    copies = f" ({settings.tile} x {settings.tile} tiles of it)" if settings.tile > 1 else ""
    return too_small(budget, time, line, f"one stroke across the drawing{copies}")


def too_small(budget: PlotBudget, time: float, line: float, what: str) -> str:
    """The refusal of a budget that ``what`` outgrows, taking shares ``time`` and ``line`` of it,
    naming the least budget that holds it."""
    if time >= line:
        least = format_duration(math.ceil(time * budget.seconds))
        return (
            f"--plot-time {format_duration(budget.seconds)} is less than {what} takes to plot; "
            f"give at least --plot-time {least}"
        )
    least = math.ceil(line * budget.line_mm) / 1000
    return (
        f"--line-length {budget.line_mm / 1000:g}m is shorter than {what}; "
        f"give at least --line-length {least:g}m"
    )


def _across(scene: StrokeScene, tile: int) -> list[StrokeScene]:
    """``scene`` with each stroke straightened along one diagonal of the tile it starts in,
    then along the other."""
    side = torch.tensor([scene.width, scene.height], dtype=scene.points.dtype) / tile
    rows = economy.rows_of_paths(scene.segments)
    starts = scene.points[scene.path_offsets]
    corner = torch.div(starts, side, rounding_mode="floor").clamp(0, tile - 1) * side
    offsets = torch.arange(len(rows)) - scene.path_offsets[rows]
    along = (offsets / (3 * scene.segments[rows])).to(scene.points.dtype)[:, None]
    down = corner[rows] + along * side
    up = corner[rows] + torch.stack([along[:, 0], 1 - along[:, 0]], 1) * side
    return [dataclasses.replace(scene, points=points) for points in (down, up)]


def refusal(over: OverBudget, budget: PlotBudget, channel: int | None = None) -> str:
    """The one-line refusal of a finished drawing (a gallery's ``channel``) that nothing of
    fits ``budget``, in the options' terms, naming the least that keeps its best stroke."""
    said = f"channel {channel}: " if channel is not None else ""
    if isinstance(over, Overdrawn):
        least = budget.own_overdraw(*over.alone)[0]
        return (
            f"{said}--max-overdraw {budget.max_overdraw} leaves out every stroke of the finished drawing: "
            f"the strongest alone inks a spot {least} times; give at least --max-overdraw {least}"
        )
    shares = budget.shares(budget.drawing(*over.alone))
    return said + too_small(budget, *shares, "the best stroke of the finished drawing")


def short_of(plot_time: float | None, max_overdraw: int | None, seconds: float) -> str | None:
    """What to tell of a drawing that plots in ``seconds``, less than ``FULL`` of its
    ``plot_time``: the share it takes and, with an overdraw limit, that the limit left room
    for no more strokes (the budget alone fills 0.97-1.0 of it); None when it fills it."""
    if plot_time is None or seconds >= FULL * plot_time:
        return None
    said = f"it plots in {seconds / plot_time:.0%} of --plot-time {format_duration(plot_time)}"
    if max_overdraw is None:
        return said
    return (
        f"{said}: --max-overdraw {max_overdraw} left room for no more strokes; give it more paper "
        "(--drawing-size) or a larger limit to fill the time"
    )
