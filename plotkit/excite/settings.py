"""From option values to a run of the optimizer: its settings, pen set and device.

The paper decides the canvas: with real pens, the drawing is tiled until the thinnest pen
is at least ``MIN_PEN_PX`` wide where it is optimized, and the number of strokes is what
covers ``--ink`` of it at the pens' widths (unless --tile, --paths or --size say otherwise).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optim.augment import Augment
from optim.coverage import strokes_for_ink
from optim.errors import SvgError
from optim.excite import COLOR_MODES, ExciteSettings
from optim.limits import LIMITS, MIN_PEN_PX, describe, within
from optim.render import StrokeScene
from optim.render.svg import read_svg
from plotkit.errors import UserError
from plotkit.excite.options import read_sidecar, resolve
from plotkit.presets import PenSet, load_pen_set


def _range(text: str, kind: type, name: str) -> tuple:
    """'1-3' -> (1, 3); '2' -> (2, 2); each end within the option's limits."""
    option = "--" + name.replace("_", "-")
    try:
        parts = [kind(p) for p in text.split("-", 1)] if "-" in text.strip("-") else [kind(text)] * 2
    except ValueError:
        raise UserError(f"{option} takes a number or a range like 1-3, got {text!r}") from None
    if not all(within(name, p) for p in parts) or parts[0] > parts[1]:
        raise UserError(f"{option} takes numbers {describe(name)}, low end first, got {text!r}")
    return tuple(parts)


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

    settings: ExciteSettings
    pens: PenSet | None
    device: str
    checkpoint_every: float
    initial: StrokeScene | None = None  # --from: the strokes the run continues


def settings_from_options(values: dict[str, Any], drawing_mm: float) -> ExciteRun:
    """The run for a drawing whose canvas side measures ``drawing_mm`` on paper."""
    v = resolve(values)
    if v["colors"] not in COLOR_MODES[:2]:
        raise UserError(f"--colors takes mono or free, got {v['colors']!r}; for real pens use --pens")
    pen_set = load_pen_set(v["pens"]) if v["pens"] else None
    if pen_set is not None and v["colors"] != "mono":
        raise UserError("--pens sets the colours from the pen set; leave out --colors")
    if v["max_pens"] is not None and pen_set is None:
        raise UserError("--max-pens chooses among a pen set's pens; give --pens too")
    tile = (
        v["tile"]
        if v["tile"] is not None
        else tiles_for_pens(pen_set, v["size"], drawing_mm)
        if pen_set
        else 1
    )
    finetune = v["finetune_steps"] if v["finetune_steps"] is not None else v["steps"] if tile > 1 else 0
    px_per_mm = v["size"] * tile / drawing_mm
    pen_widths = tuple(p.width_mm * px_per_mm for p in pen_set.pens) if pen_set else ()
    segments = _range(str(v["segments"]), int, "segments")
    initial = study_scene(v["start"], v["size"]) if v["start"] is not None else None
    paths = initial.n_paths if initial is not None else v["paths"]
    if paths is None:
        width = statistics.mean(pen_widths) if pen_set else v["stroke_width"]
        paths = strokes_for_ink(v["ink"], v["size"], width, segments, v["seed"])
    settings = ExciteSettings(
        model=v["model"],
        weights=v["weights"],
        objective=v["objective"] or f"{v['layer']}:{v['channel']}{'@neuron' if v['neuron'] else ''}",
        paths=paths,
        segments=segments,
        size=v["size"],
        steps=v["steps"],
        lr=v["lr"],
        stroke_width=v["stroke_width"],
        learn_widths=v["learn_widths"],
        colors="pens" if pen_set else v["colors"],
        palette=tuple(p.rgb for p in pen_set.pens) if pen_set else (),
        pen_widths=pen_widths,
        tile=tile,
        finetune_steps=finetune,
        augment=Augment(
            v["batch"],
            v["input_size"],
            v["perspective"],
            _range(str(v["crop_scale"]), float, "crop_scale"),
            v["jitter"],
            v["pad"],
            _range(str(v["scale"]), float, "scale"),
            v["rotate"],
        ),
        seed=v["seed"],
        precision=v["precision"],
        ink=v["ink"] if initial is None else None,
        respawn_every=v["respawn_every"],
        max_pens=v["max_pens"],
        start=v["start"],
    )
    if v["checkpoint_every"] <= 0:
        raise UserError(
            f"--checkpoint-every must be a positive number of seconds, got {v['checkpoint_every']:g}"
        )
    return ExciteRun(settings, pen_set, v["device"], v["checkpoint_every"], initial)


def study_scene(sidecar: str, size: int) -> StrokeScene:
    """The strokes of the drawing beside ``sidecar``, on a canvas of ``size`` pixels."""
    svg = Path(sidecar).parent / read_sidecar(sidecar).get("svg", "")
    try:
        scene = read_svg(svg)
    except (OSError, SvgError) as exc:
        raise UserError(
            f"--from {sidecar}: cannot read its drawing {svg} ({exc}); keep it beside the .json"
        ) from None
    if not scene.n_paths:
        raise UserError(
            f"--from {sidecar}: its drawing {svg} has no strokes to continue; give another drawing's .json"
        )
    return scene.scaled(size / scene.width)
