"""A drawing's JSON sidecar: its options, its optimizer settings and what came of them.

The one writer and reader of the format. Every sidecar names its ``schema``; one from
before schemas (``plotkit`` 0.1, schema 1) is converted on reading, and one from a newer
plotkit is refused in one line. ``--from`` reads a study's sidecar once, here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optim.atomic import write_atomic
from plotkit.errors import UserError
from plotkit.excite.options import DrawingOptions

SCHEMA = 2


@dataclass(frozen=True)
class GalleryEntry:
    """A gallery's part of a channel's sidecar: the channel and how much it rose."""

    channel: int
    activation_gain: float
    gain_kind: str  # "ratio" or "difference": see plotkit.excite.sheet.activation_gain


@dataclass(frozen=True)
class PlotCost:
    """What plotting the drawing costs, as ``plotkit estimate`` measures it."""

    plotter: str
    seconds: float
    pen_down_m: float
    lifts: int


@dataclass(frozen=True)
class Sidecar:
    options: DrawingOptions  # as resolved for this drawing: what --from continues
    settings: dict[str, Any]  # the optimizer's settings, as JSON: compared before reusing a result
    weights: str
    initial_activation: float
    final_activation: float
    strokes: int
    ink_coverage: float
    seconds: float
    device: str
    precision: str
    drawing_size_mm: float | None
    pens: str | None
    layers: dict[str, int]
    torch: str
    python: str
    svg: str  # file names beside the sidecar: the drawing to plot,
    png: str  # what the network saw,
    strokes_svg: str  # and the optimized strokes, which --from continues
    plot: PlotCost | None = None  # None for free colours, which no pen draws
    gallery: GalleryEntry | None = None

    def __post_init__(self) -> None:
        numbers = (self.initial_activation, self.final_activation, self.ink_coverage, self.seconds)
        if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
            raise ValueError("a sidecar's activations, ink and seconds are numbers")
        if not isinstance(self.settings, dict) or not isinstance(self.svg, str):
            raise ValueError("a sidecar's settings are a table and its drawing a file name")


def write_sidecar(path: Path, sidecar: Sidecar) -> None:
    data = {"schema": SCHEMA, **dataclasses.asdict(sidecar)}
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def read_sidecar(path: Path, said: str = "--from ", fix: str = "give the .json beside a drawing") -> Sidecar:
    """The sidecar at ``path``, converted from an older schema; refused in one line (``said``
    before the path, ``fix`` after) when it is missing, not a sidecar, or from a newer plotkit."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{said}{path}: no such file; {fix}") from None
    except (OSError, ValueError):
        raise UserError(f"{said}{path} is not a drawing's sidecar; {fix}") from None
    schema = data.get("schema", 1) if isinstance(data, dict) else None
    if isinstance(schema, int) and schema > SCHEMA:
        raise UserError(
            f"{said}{path} was written by a newer plotkit (sidecar schema {schema}, this one reads up to "
            f"{SCHEMA}); upgrade plotkit"
        )
    try:
        if schema == 1:
            data = _from_schema_1(data)
        fields = {k: v for k, v in data.items() if k != "schema"}
        gallery, plot = fields.pop("gallery", None), fields.pop("plot", None)
        return Sidecar(
            **fields | {"options": DrawingOptions.from_json(fields["options"])},
            plot=PlotCost(**plot) if plot is not None else None,
            gallery=GalleryEntry(**gallery) if gallery is not None else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError, UserError):
        raise UserError(f"{said}{path} is not a drawing's sidecar; {fix}") from None


def _from_schema_1(data: dict[str, Any]) -> dict[str, Any]:
    """A sidecar from before schemas: the options are recovered from its settings."""
    s, a = data["settings"], data["settings"]["augment"]
    options = {
        "model": s["model"],
        "weights": s["weights"],
        "objective": s["objective"],
        "paths": s["paths"],
        "ink": s.get("ink"),
        "segments": s["segments"],
        "size": s["size"],
        "tile": s["tile"],
        "steps": s["steps"],
        "finetune_steps": s["finetune_steps"],
        "lr": s["lr"],
        "stroke_width": s["stroke_width"],
        "learn_widths": s["learn_widths"],
        "colors": s["colors"] if s["colors"] != "pens" else "mono",
        "pens": data.get("pens"),
        "max_pens": s.get("max_pens"),
        "respawn_every": s.get("respawn_every", 0),
        "batch": a["batch"],
        "input_size": a["size"],
        "perspective": a["perspective"],
        "crop_scale": a["crop_scale"],
        "jitter": a["jitter"],
        "pad": a["pad"],
        "scale": a["scale"],
        "rotate": a["rotate"],
        "seed": s["seed"],
        "precision": s["precision"],
    }
    known = {f.name for f in dataclasses.fields(Sidecar)}
    return {k: v for k, v in data.items() if k in known} | {
        "options": options,
        "strokes_svg": data["svg"],  # then the drawing was its strokes
        "torch": data.get("torch", "unknown"),
        "python": data.get("python", "unknown"),
    }


def study(sidecar: Sidecar) -> dict[str, Any]:
    """Options that continue the drawing of ``sidecar``: its own, with its canvas as the new
    tile; the views, tiles, fine-tuning, strokes and the run's place are the new drawing's."""
    o, s = sidecar.options, sidecar.settings
    kept = dataclasses.asdict(o)
    for name in (
        "preset",
        "start",
        "paths",
        "ink",
        "tile",
        "finetune_steps",
        "view_size",
        "device",
        "threads",
        "checkpoint_every",
    ):
        kept.pop(name)
    return kept | {"size": s["size"] * s["tile"]}
