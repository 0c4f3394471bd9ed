"""From option values to a run of the optimizer: its settings, pen set and device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optim.augment import Augment
from optim.excite import COLOR_MODES, ExciteSettings
from optim.limits import describe, within
from plotkit.errors import UserError
from plotkit.excite.options import resolve
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


@dataclass(frozen=True)
class ExciteRun:
    """What the options ask for: the optimizer's settings, the pen set, the device."""

    settings: ExciteSettings
    pens: PenSet | None
    device: str
    checkpoint_every: float


def settings_from_options(values: dict[str, Any], drawing_mm: float) -> ExciteRun:
    """The run for a drawing whose canvas side measures ``drawing_mm`` on paper."""
    v = resolve(values)
    if v["colors"] not in COLOR_MODES[:2]:
        raise UserError(f"--colors takes mono or free, got {v['colors']!r}; for real pens use --pens")
    pen_set = load_pen_set(v["pens"]) if v["pens"] else None
    if pen_set is not None and v["colors"] != "mono":
        raise UserError("--pens sets the colours from the pen set; leave out --colors")
    px_per_mm = v["size"] * v["tile"] / drawing_mm
    settings = ExciteSettings(
        model=v["model"],
        weights=v["weights"],
        objective=v["objective"] or f"{v['layer']}:{v['channel']}{'@neuron' if v['neuron'] else ''}",
        paths=v["paths"],
        segments=_range(str(v["segments"]), int, "segments"),
        size=v["size"],
        steps=v["steps"],
        lr=v["lr"],
        stroke_width=v["stroke_width"],
        learn_widths=v["learn_widths"],
        colors="pens" if pen_set else v["colors"],
        palette=tuple(p.rgb for p in pen_set.pens) if pen_set else (),
        pen_widths=tuple(p.width_mm * px_per_mm for p in pen_set.pens) if pen_set else (),
        tile=v["tile"],
        finetune_steps=v["finetune_steps"],
        augment=Augment(
            v["batch"],
            v["input_size"],
            v["perspective"],
            _range(str(v["crop_scale"]), float, "crop_scale"),
            v["jitter"],
        ),
        seed=v["seed"],
        precision=v["precision"],
    )
    if v["checkpoint_every"] <= 0:
        raise UserError(
            f"--checkpoint-every must be a positive number of seconds, got {v['checkpoint_every']:g}"
        )
    return ExciteRun(settings, pen_set, v["device"], v["checkpoint_every"])
