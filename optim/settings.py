"""What one drawing's optimization is asked to do: the settings stored with every result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optim import economy
from optim.augment import Augment
from optim.errors import ExciteError
from optim.limits import describe, number, within
from optim.precision import PRECISIONS

COLOR_MODES = ("mono", "free", "pens")


@dataclass(frozen=True)
class ExciteSettings:
    """Everything that determines the result; stored in checkpoints and sidecars."""

    model: str = "vgg16"
    weights: str = "imagenet"
    objective: str = "conv3_3:37"
    paths: int = 200
    segments: tuple[int, int] = (1, 3)
    size: int = 224  # canvas side in pixels (of one tile)
    steps: int = 500
    lr: float = 1.0
    stroke_width: float = 1.0  # pixels of the canvas (mono and free colours)
    learn_widths: bool = False
    width_bounds: tuple[float, float] = (0.5, 4.0)  # multiples of stroke_width, when learned
    colors: str = "mono"  # mono: one pen; free: learned RGB; pens: one pen of the palette each
    palette: tuple[tuple[float, float, float], ...] = ()  # pens: RGB of each pen
    pen_widths: tuple[float, ...] = ()  # pens: line width of each pen in canvas pixels
    tile: int = 1  # the base drawing is repeated tile x tile times
    finetune_steps: int = 0  # steps on random windows of the tiled canvas
    augment: Augment = field(default_factory=Augment)
    seed: int = 0
    precision: str = "auto"  # the network's arithmetic: fp32, bf16 under autocast, or auto (optim.precision)
    ink: float | None = None  # coverage the drawn strokes are steered to, when respawning
    respawn_every: int = 0  # base steps between moves of weak strokes; 0: never
    max_pens: int | None = None  # pens: keep only the pens the strokes use most
    # The most the finished drawing may cost, and what a stroke costs: (each, each pixel of its
    # length on the canvas); say the seconds a plotter takes. The strokes drawn follow it as
    # they follow ``ink``, and a measure given to the run trims the result to it exactly.
    budget: float | None = None
    stroke_cost: tuple[float, float] = (0.0, 0.0)
    # The most times ink may lie on one spot of the finished drawing: strokes that pass it are
    # moved (as weak strokes are) and, at the end, dropped, as a measure given to the run tells.
    max_overdraw: int | None = None
    start: str | None = None  # continues the drawing of this sidecar: its base steps are done

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ExciteError(f"unknown precision {self.precision!r}; use one of {', '.join(PRECISIONS)}")
        if self.colors not in COLOR_MODES:
            raise ExciteError(f"unknown colour mode {self.colors!r}; use one of {', '.join(COLOR_MODES)}")
        pens = self.colors == "pens"
        if pens != bool(self.palette) or len(self.palette) != len(self.pen_widths):
            raise ExciteError("pens mode needs a `palette` and one width per pen, other modes none")
        if self.max_pens is not None and not pens:
            raise ExciteError("`max_pens` needs pens to choose among; give `palette` too")
        if pens and self.learn_widths:
            raise ExciteError(
                "`learn_widths` does not combine with pens: each stroke draws at its pen's width"
            )
        if self.budget is not None and not (0 < self.budget < math.inf and sum(self.stroke_cost) > 0):
            raise ExciteError("a `budget` must be positive and finite, with a positive `stroke_cost`")
        if not all(0 <= c < math.inf for c in self.stroke_cost):
            raise ExciteError(f"`stroke_cost` must be two costs of zero or more, got {self.stroke_cost}")
        a = self.augment
        for name, values in (
            ("paths", [self.paths]),
            ("segments", list(self.segments)),
            ("size", [self.size]),
            ("steps", [self.steps]),
            ("lr", [self.lr]),
            ("stroke_width", [self.stroke_width, *self.pen_widths]),
            ("tile", [self.tile]),
            ("finetune_steps", [self.finetune_steps]),
            ("batch", [a.batch]),
            ("input_size", [a.size]),
            ("perspective", [a.perspective]),
            ("crop_scale", list(a.crop_scale)),
            ("jitter", [a.jitter]),
            ("seed", [self.seed]),
            ("pad", [a.pad]),
            ("scale", list(a.scale)),
            ("rotate", [a.rotate]),
            ("ink", [] if self.ink is None else [self.ink]),
            ("max_pens", [] if self.max_pens is None else [self.max_pens]),
            ("max_overdraw", [] if self.max_overdraw is None else [self.max_overdraw]),
            ("respawn_every", [self.respawn_every]),
        ):
            bad = [v for v in values if not within(name, v)]
            if bad:
                raise ExciteError(f"`{name}` must be {describe(name)}, got {number(bad[0])}")
        for name, (lo, hi) in (("segments", self.segments), ("crop_scale", a.crop_scale), ("scale", a.scale)):
            if lo > hi:
                raise ExciteError(f"`{name}` range {lo:g}-{hi:g} runs backwards; give the low end first")

    @property
    def canvas(self) -> int:
        """Side of the final canvas in pixels."""
        return self.size * self.tile

    @property
    def steered(self) -> bool:
        """Whether strokes are moved to follow a target (ink, a budget, an overdraw limit) all
        along, not only while the base steps settle."""
        return self.ink is not None or self.budget is not None or self.max_overdraw is not None

    @property
    def pool(self) -> int:
        """Strokes held: when strokes follow an ink target, room for more than drawn at first."""
        steered = (self.ink is not None or self.budget is not None) and self.respawn_every > 0
        return math.ceil(economy.POOL * self.paths) if steered else self.paths
