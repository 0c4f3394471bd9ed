"""The optimizer's options, defined once for ``plotkit excite`` and ``vpype neuronexc``.

Each option is a row of ``EXCITE_OPTIONS``; the typer signature (``plotkit.cli``) and the
click decorators (``plotkit.vpype_plugin``) are both generated from it, and ``resolve``
merges defaults, a recipe preset and what the user typed, refusing values out of range.
Free of torch, typer and click: vpype imports this table at start, for every command.

A value the user gives always wins, 0 included; flags are three-way (``--neuron``,
``--no-neuron``, or not given) so that a recipe's flag can be turned off too. ``--views``
names a family of view options; those given by name, or by the recipe, win over it.
``--paths`` and ``--ink`` both decide how many strokes there are: the one given at the
higher level (typed over recipe over default) wins, and typing both is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optim.limits import LIMITS, MIN_PEN_PX, describe, number, within
from optim.views import VIEWS
from plotkit.errors import UserError
from plotkit.presets import load_recipe

NOTES = {"channel": " (channels start at 0)"}  # said with an out-of-range value
EXCLUSIVE = ("paths", "ink")  # two ways to say how many strokes: one wins


@dataclass(frozen=True)
class Option:
    name: str  # Python name; the flag is --name-with-dashes
    kind: type  # str, int, float or bool (a flag)
    default: Any
    help: str
    unset: str = "none"  # what leaving it out means, when the default is None
    flag_name: str | None = None  # the flag, when not the name with dashes

    @property
    def flag(self) -> str:
        return "--" + (self.flag_name or self.name.replace("_", "-"))

    @property
    def declaration(self) -> str:
        """How typer and click declare it: flags come as --name/--no-name."""
        return f"{self.flag}/--no-{self.flag[2:]}" if self.kind is bool else self.flag

    @property
    def help_text(self) -> str:
        said = []
        if self.name in LIMITS:
            said.append(describe(self.name))
        if self.kind is not bool:
            said.append(f"default: {self.default if self.default is not None else self.unset}")
        return f"{self.help} [{'; '.join(said)}]" if said else self.help


EXCITE_OPTIONS: tuple[Option, ...] = (
    Option("preset", str, None, "Recipe preset setting many options at once; options you give win."),
    Option(
        "start",
        str,
        None,
        "A drawing's JSON sidecar (e.g. gallery/ch12.json): continue its strokes with its settings, "
        "tiled and fine-tuned at this size; options you give win.",
        flag_name="from",
    ),
    Option("model", str, "vgg16", "Torchvision model name (plotkit layers MODEL lists its layers)."),
    Option("layer", str, "conv3_3", "Layer: conv3_3, relu3_3, layer3.1, or a torchvision node name."),
    Option("channel", int, 37, "Channel of --layer to excite."),
    Option("neuron", bool, False, "Excite the channel's centre unit only."),
    Option("objective", str, None, "Instead of --layer/--channel: e.g. 'conv3_3:37-conv3_3:7*0.5'."),
    Option("weights", str, "imagenet", "imagenet (downloaded once), random, or a state dict FILE."),
    Option("paths", int, None, "Number of strokes (instead of --ink).", "from --ink"),
    Option(
        "ink",
        float,
        0.3,
        "Share of the drawing the pens cover: sets the number of strokes, which then follows it.",
    ),
    Option("segments", str, "1-3", "Cubic segments per stroke, a number or a range."),
    Option("size", int, 224, "Canvas side in pixels (of one tile)."),
    Option("steps", int, 500, "Optimization steps."),
    Option("lr", float, 1.0, "Adam learning rate for control points (pixels)."),
    Option("stroke_width", float, MIN_PEN_PX, "Stroke width in canvas pixels, without --pens."),
    Option("respawn_every", int, 50, "Steps between moves of weak strokes to where ink helps (0 = never)."),
    Option("learn_widths", bool, False, "Let widths vary in 0.5x to 4x, without --pens."),
    Option("colors", str, "mono", "mono: one pen; free: learned RGB per stroke (not with --pens)."),
    Option("pens", str, None, "Pen set preset: each stroke ends on one of its pens, at its width."),
    Option("max_pens", int, None, "With --pens: keep only the K pens the drawing uses most.", "all"),
    Option(
        "tile",
        int,
        None,
        "Repeat the drawing N x N times, then fine-tune the big canvas.",
        f"with --pens, enough for the thinnest pen to be {MIN_PEN_PX:g} px wide; else 1",
    ),
    Option(
        "finetune_steps",
        int,
        None,
        "Steps on random windows of the tiled canvas.",
        "--steps when tiled, else 0",
    ),
    Option("batch", int, 4, "Augmented views per step."),
    Option("input_size", int, 224, "Side of the views the network sees."),
    Option("views", str, "lucent", f"Family of views: {' or '.join(VIEWS)}; it sets the options below."),
    Option("perspective", float, None, "Perspective distortion scale (0 = off).", "from --views"),
    Option("crop_scale", str, None, "Random resized crop area range.", "from --views"),
    Option("jitter", int, None, "Random shift in pixels (0 = off).", "from --views"),
    Option("pad", int, None, "White margin, pixels, around the drawing.", "from --views"),
    Option("scale", str, None, "Random zoom range, e.g. 0.9-1.1.", "from --views"),
    Option("rotate", float, None, "Random turn, up to this many degrees either way.", "from --views"),
    Option("seed", int, 0, "Seed: same seed, same drawing (on the CPU)."),
    Option("device", str, "auto", "auto (CUDA when present), cpu or cuda."),
    Option(
        "precision",
        str,
        "auto",
        "The network's arithmetic: fp32, bf16, or auto (bf16 where the GPU or CPU has it natively "
        "and the network has no depthwise convolutions).",
    ),
    Option("checkpoint_every", float, 10.0, "Seconds of work between checkpoints (and one at Ctrl-C)."),
)
BY_NAME = {o.name: o for o in EXCITE_OPTIONS}


def resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then the recipe named by --preset, then the options given (None: not given);
    view options left unset come from the --views family."""
    merged = {o.name: o.default for o in EXCITE_OPTIONS}
    study = study_values(values["start"]) if values.get("start") is not None else {}
    recipe = load_recipe(values["preset"], BY_NAME) if values.get("preset") is not None else {}
    given = {k: v for k, v in values.items() if k in BY_NAME and v is not None}
    for level in (study, recipe, given):
        if all(name in level for name in EXCLUSIVE):
            where = "the recipe sets" if level is recipe else "give"
            raise UserError(f"{where} both --paths and --ink; each sets the number of strokes, keep one")
        for name in EXCLUSIVE:
            if name in level:
                merged.update(dict.fromkeys(EXCLUSIVE))
        merged.update(level)
    if merged["views"] not in VIEWS:
        raise UserError(f"--views takes {' or '.join(VIEWS)}, got {merged['views']!r}")
    for name, value in VIEWS[merged["views"]].items():
        if merged[name] is None:
            merged[name] = "-".join(f"{v:g}" for v in value) if isinstance(value, tuple) else value
    for o in EXCITE_OPTIONS:
        value = merged[o.name]
        if value is not None and o.kind in (int, float) and o.name in LIMITS and not within(o.name, value):
            where = f" (from recipe {values['preset']})" if o.name in recipe and o.name not in given else ""
            raise UserError(
                f"{o.flag} must be {describe(o.name)}{NOTES.get(o.name, '')}, got {number(value)}{where}"
            )
    return merged


def read_sidecar(path: str) -> dict[str, Any]:
    """A drawing's JSON sidecar, as ``plotkit excite`` and ``plotkit gallery`` write them."""
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
        meta["settings"]["augment"]["batch"]
    except FileNotFoundError:
        raise UserError(f"--from {path}: no such file; give the .json beside a drawing") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(
            f"--from {path} is not a drawing's sidecar; give the .json beside a drawing"
        ) from None
    return meta


def study_values(path: str) -> dict[str, Any]:
    """Option values that continue the drawing of sidecar ``path``: its settings, its pens,
    its canvas as the new tile, fine-tuned as long as it was optimized."""
    meta = read_sidecar(path)
    s, a = meta["settings"], meta["settings"]["augment"]
    span = lambda pair: "-".join(f"{v:g}" for v in pair)  # noqa: E731
    return {
        "model": s["model"],
        "weights": s["weights"],
        "objective": s["objective"],
        "segments": span(s["segments"]),
        "size": s["size"] * s["tile"],
        "steps": s["steps"],
        "finetune_steps": s["steps"],
        "lr": s["lr"],
        "stroke_width": s["stroke_width"],
        "learn_widths": s["learn_widths"],
        "colors": s["colors"] if s["colors"] != "pens" else "mono",
        "pens": meta.get("pens"),
        "batch": a["batch"],
        "input_size": a["size"],
        "perspective": a["perspective"],
        "crop_scale": span(a["crop_scale"]),
        "jitter": a["jitter"],
        "pad": a["pad"],
        "scale": span(a["scale"]),
        "rotate": a["rotate"],
        "seed": s["seed"],
        "precision": s["precision"],
    }
