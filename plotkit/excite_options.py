"""The optimizer's options, defined once for ``plotkit excite`` and ``vpype neuronexc``.

Each option is a row of ``EXCITE_OPTIONS``; the typer signature and the click decorators
are both generated from it, and ``settings_from_options`` turns the values (defaults,
then a recipe preset, then what the user typed) into ``ExciteSettings``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import click
import typer
import vpype as vp

from optim.augment import Augment
from optim.excite import COLOR_MODES, ExciteSettings
from plotkit.errors import UserError
from plotkit.presets import PenSet, load_pen_set, load_recipe


@dataclass(frozen=True)
class Option:
    name: str  # Python name; the flag is --name-with-dashes
    kind: type  # str, int, float or bool (a flag)
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def help_text(self) -> str:
        return self.help if self.kind is bool else f"{self.help} [default: {self.default}]"


EXCITE_OPTIONS: tuple[Option, ...] = (
    Option("preset", str, None, "Recipe preset setting many options at once; options you give win."),
    Option("model", str, "vgg16", "Torchvision model name (plotkit layers MODEL lists its layers)."),
    Option("layer", str, "conv3_3", "Layer: conv3_3, relu3_3, layer3.1, or a torchvision node name."),
    Option("channel", int, 37, "Channel of --layer to excite."),
    Option("neuron", bool, False, "Excite the channel's centre unit only."),
    Option("objective", str, None, "Instead of --layer/--channel: e.g. 'conv3_3:37-conv3_3:7*0.5'."),
    Option("weights", str, "imagenet", "imagenet (downloaded once), random, or a state dict FILE."),
    Option("paths", int, 200, "Number of strokes."),
    Option("segments", str, "1-3", "Cubic segments per stroke, a number or a range."),
    Option("size", int, 224, "Canvas side in pixels (of one tile)."),
    Option("steps", int, 500, "Optimization steps."),
    Option("lr", float, 1.0, "Adam learning rate for control points (pixels)."),
    Option("stroke_width", float, 1.0, "Stroke width in canvas pixels, without --pens."),
    Option("learn_widths", bool, False, "Let widths vary in 0.5x to 4x, without --pens."),
    Option("colors", str, "mono", "mono: one pen; free: learned RGB per stroke (not with --pens)."),
    Option("pens", str, None, "Pen set preset: each stroke ends on one of its pens, at its width."),
    Option("tile", int, 1, "Repeat the drawing N x N times, then fine-tune the big canvas."),
    Option("finetune_steps", int, 0, "Steps on random windows of the tiled canvas."),
    Option("batch", int, 4, "Augmented views per step."),
    Option("input_size", int, 224, "Side of the views the network sees."),
    Option("perspective", float, 0.5, "Perspective distortion scale (0 = off)."),
    Option("crop_scale", str, "0.7-0.9", "Random resized crop area range."),
    Option("jitter", int, 8, "Random shift in pixels (0 = off)."),
    Option("seed", int, 0, "Seed: same seed, same drawing (on the CPU)."),
    Option("device", str, "auto", "auto (CUDA when present), cpu or cuda."),
    Option("checkpoint_every", float, 10.0, "Seconds of work between checkpoints (and one at Ctrl-C)."),
)
BY_NAME = {o.name: o for o in EXCITE_OPTIONS}


def typer_parameters(options: tuple[Option, ...]) -> list[inspect.Parameter]:
    """Keyword parameters typer reads as these options (None = not given)."""
    params = []
    for o in options:
        annotation = Annotated[
            (bool if o.kind is bool else o.kind | None), typer.Option(o.flag, help=o.help_text)
        ]
        default = False if o.kind is bool else None
        params.append(
            inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    return params


def click_options(command: Callable) -> Callable:
    """Decorate a click command with every excite option (None = not given)."""
    for o in reversed(EXCITE_OPTIONS):
        if o.kind is bool:
            command = click.option(o.flag, o.name, is_flag=True, default=False, help=o.help_text)(command)
        else:
            command = click.option(o.flag, o.name, type=o.kind, default=None, help=o.help_text)(command)
    return command


def _range(text: str, kind: type, option: str) -> tuple:
    """'1-3' -> (1, 3); '2' -> (2, 2)."""
    try:
        parts = [kind(p) for p in text.split("-", 1)] if "-" in text.strip("-") else [kind(text)] * 2
    except ValueError:
        raise UserError(f"{option} takes a number or a range like 1-3, got {text!r}") from None
    return tuple(parts)


def millimetres(text: str, option: str) -> float:
    """A vpype length ('15cm', '6in', '200mm', '300' px) in millimetres."""
    try:
        mm = vp.convert_length(text) * 25.4 / 96
    except ValueError:
        raise UserError(f"{option} takes a length like 15cm, 6in or 200mm, got {text!r}") from None
    if mm <= 0:
        raise UserError(f"{option} must be positive, got {text!r}")
    return mm


def resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then the recipe named by --preset, then the options given."""
    merged = {o.name: o.default for o in EXCITE_OPTIONS}
    if values.get("preset"):
        merged.update(load_recipe(values["preset"], BY_NAME))
    merged.update({k: v for k, v in values.items() if k in BY_NAME and v not in (None, False)})
    return merged


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
        segments=_range(str(v["segments"]), int, "--segments"),
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
            _range(str(v["crop_scale"]), float, "--crop-scale"),
            v["jitter"],
        ),
        seed=v["seed"],
    )
    if v["checkpoint_every"] <= 0:
        raise UserError(
            f"--checkpoint-every must be a positive number of seconds, got {v['checkpoint_every']:g}"
        )
    return ExciteRun(settings, pen_set, v["device"], v["checkpoint_every"])
