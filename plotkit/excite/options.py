"""A drawing's options, defined once: ``DrawingOptions``, one typed field per option.

Each field carries its help, its group and its flag; the typer options (``plotkit.cli``),
the click options (``plotkit.vpype_plugin``) and the sidecar (``plotkit.excite.sidecar``)
are all made from these fields, and ``resolve`` merges defaults, a study (``--from``), a
recipe preset and what the user typed into one checked ``DrawingOptions``. Free of torch,
typer and click: vpype imports this module at start, for every command.

A value the user gives always wins, 0 included; flags are three-way (``--neuron``,
``--no-neuron``, or not given) so that a recipe's flag can be turned off too. ``--views``
names a family of view options; those given by name, or by the recipe, win over it.
``--paths`` and ``--ink`` both decide how many strokes there are: the one given at the
higher level (typed over recipe over study over default) wins, and typing both is refused.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optim.limits import LIMITS, MIN_PEN_PX, describe, number, within
from optim.views import VIEWS
from plotkit.errors import UserError
from plotkit.presets import DEFAULT_PLOTTER, load_recipe
from plotkit.units import millimetres, parse_duration

NOTES = {"channel": " (channels start at 0)"}  # said with an out-of-range value
# Ways to say how many strokes, by their options: the one given at the highest level wins.
COUNTS = {"--paths": ("paths",), "--ink": ("ink",), "a budget": ("plot_time", "line_length")}
RANGES = {"segments": int, "crop_scale": float, "scale": float}  # typed as '1-3', kept as (1, 3)
LENGTHS = ("view_size", "line_length")  # typed as a length (10cm), kept in millimetres
DURATIONS = ("plot_time",)  # typed as a duration (1h30m), kept in seconds
VIEW_MM = 200.0  # paper one view covers by default: a 20 cm drawing is one view, bold from a metre
COLORS = ("mono", "free")  # real pens come from --pens
GROUPS = (
    "Objective",
    "Drawing and pens",
    "Plot budget",
    "Views",
    "Optimization",
    "Output",
    "Run",
)  # help panels, in order


@dataclass(frozen=True)
class Spec:
    """How an option is typed and shown: what the command line reads, its help and group."""

    kind: type  # str, int, float or bool (a flag), as the command line reads it
    help: str
    group: str
    unset: str | None = None  # what leaving it out means, when that is not a value
    flag_name: str | None = None  # the flag, when not the name with dashes


def option(default: Any, kind: type, help: str, group: str, **spec: Any) -> Any:
    """A field of ``DrawingOptions`` with its command-line spec."""
    return field(default=default, metadata={"spec": Spec(kind, help, group, **spec)})


_LUCENT = VIEWS["lucent"]


@dataclass(frozen=True)
class DrawingOptions:
    """Everything a user can ask of a drawing, resolved: defaults, study, recipe, typed."""

    preset: str | None = option(
        None, str, "Recipe preset setting many options at once; options you give win.", "Run"
    )
    start: str | None = option(
        None,
        str,
        "A drawing's JSON sidecar (e.g. gallery/ch12.json): continue its strokes with its settings, "
        "tiled and fine-tuned at this size; options you give win.",
        "Run",
        flag_name="from",
    )
    model: str = option(
        "vgg16", str, "Torchvision model name (plotkit layers MODEL lists its layers).", "Objective"
    )
    layer: str = option(
        "conv3_3", str, "Layer: conv3_3, relu3_3, layer3.1, or a torchvision node name.", "Objective"
    )
    channel: int = option(37, int, "Channel of --layer to excite.", "Objective")
    neuron: bool = option(False, bool, "Excite the channel's centre unit only.", "Objective")
    objective: str | None = option(
        None, str, "Instead of --layer/--channel: e.g. 'conv3_3:37-conv3_3:7*0.5'.", "Objective"
    )
    weights: str = option(
        "imagenet", str, "imagenet (downloaded once), random, or a state dict FILE.", "Objective"
    )
    paths: int | None = option(
        None, int, "Number of strokes (instead of --ink).", "Drawing and pens", unset="from --ink"
    )
    ink: float | None = option(
        0.3,
        float,
        "Share of the drawing the pens cover: sets the number of strokes, which then follows it.",
        "Drawing and pens",
    )
    segments: tuple[int, int] = option(
        (1, 3), str, "Cubic segments per stroke, a number or a range.", "Drawing and pens"
    )
    size: int = option(224, int, "Canvas side in pixels (of one tile).", "Drawing and pens")
    stroke_width: float = option(
        MIN_PEN_PX,
        float,
        "Stroke width in canvas pixels; with --pens the least a stroke is drawn at: a stroke wider "
        "than its pen is drawn in several passes of it.",
        "Drawing and pens",
    )
    learn_widths: bool = option(
        False, bool, "Let widths vary in 0.5x to 4x, without --pens.", "Drawing and pens"
    )
    colors: str = option(
        "mono", str, "mono: one pen; free: learned RGB per stroke (not with --pens).", "Drawing and pens"
    )
    pens: str | None = option(
        None, str, "Pen set preset: each stroke ends on one of its pens, at its width.", "Drawing and pens"
    )
    max_pens: int | None = option(
        None, int, "With --pens: keep only the K pens the drawing uses most.", "Drawing and pens", unset="all"
    )
    view_size: float | None = option(
        None,
        str,
        "Paper one network view covers (a length: 10cm): the size of the motifs. A larger drawing "
        "is tiled with views this size and fine-tuned.",
        "Drawing and pens",
        unset=f"{VIEW_MM / 10:g}cm; with --from, the whole drawing",
    )
    tile: int | None = option(
        None,
        int,
        "Repeat the drawing N x N times, then fine-tune the big canvas.",
        "Drawing and pens",
        unset="as --view-size asks",
    )
    plot_time: float | None = option(
        None,
        str,
        "Plotting time the drawing must fit (1h30m, 20m, 90s), as plotkit estimate --optimize says on "
        "--plotter: strokes as many and as long as it buys (instead of --ink).",
        "Plot budget",
    )
    line_length: float | None = option(
        None,
        str,
        "Most line one pen may draw (150m): pen wear as a budget (instead of --ink).",
        "Plot budget",
    )
    max_overdraw: int | None = option(
        None,
        int,
        "Most times ink may be laid on one spot of the paper, at the pen's width (for highlighters, "
        "markers, thin paper): strokes that would pass it move elsewhere, or go.",
        "Plot budget",
        unset="no limit",
    )
    plotter: str = option(
        DEFAULT_PLOTTER, str, "Plotter preset whose speeds time --plot-time and the estimate.", "Plot budget"
    )
    steps: int = option(500, int, "Optimization steps.", "Optimization")
    finetune_steps: int | None = option(
        None,
        int,
        "Steps on random windows of the tiled canvas.",
        "Optimization",
        unset="--steps when tiled, else 0",
    )
    lr: float = option(1.0, float, "Adam learning rate for control points (pixels).", "Optimization")
    respawn_every: int = option(
        50, int, "Steps between moves of weak strokes to where ink helps (0 = never).", "Optimization"
    )
    batch: int = option(4, int, "Augmented views per step.", "Optimization")
    seed: int = option(0, int, "Seed: same seed, same drawing (on the CPU).", "Optimization")
    input_size: int = option(224, int, "Side of the views the network sees.", "Views")
    views: str = option(
        "lucent", str, f"Family of views: {' or '.join(VIEWS)}; it sets the options below.", "Views"
    )
    perspective: float = option(
        _LUCENT["perspective"],
        float,
        "Perspective distortion scale (0 = off).",
        "Views",
        unset="from --views",
    )
    crop_scale: tuple[float, float] = option(
        _LUCENT["crop_scale"], str, "Random resized crop area range.", "Views", unset="from --views"
    )
    jitter: int = option(
        _LUCENT["jitter"], int, "Random shift in pixels (0 = off).", "Views", unset="from --views"
    )
    pad: int = option(
        _LUCENT["pad"], int, "White margin, pixels, around the drawing.", "Views", unset="from --views"
    )
    scale: tuple[float, float] = option(
        _LUCENT["scale"], str, "Random zoom range, e.g. 0.9-1.1.", "Views", unset="from --views"
    )
    rotate: float = option(
        _LUCENT["rotate"],
        float,
        "Random turn of the views, up to this many degrees either way.",
        "Views",
        unset="from --views",
        flag_name="view-rotate",
    )
    device: str = option("auto", str, "auto (CUDA when present), cpu or cuda.", "Run")
    precision: str = option(
        "auto",
        str,
        "The network's arithmetic: fp32, bf16, or auto (bf16 where the GPU or CPU has it natively "
        "and the network has no depthwise convolutions).",
        "Run",
    )
    threads: int | None = option(
        None,
        int,
        "CPU threads of this run (of each Ray task with --cluster ray).",
        "Run",
        unset="the cores over the plotkit runs going here; 1 per Ray task",
    )
    checkpoint_every: float = option(
        10.0, float, "Seconds of work between checkpoints (and one at Ctrl-C).", "Run"
    )

    @property
    def target(self) -> str:
        """The objective the optimizer is given: --objective, or --layer:--channel."""
        return self.objective or f"{self.layer}:{self.channel}{'@neuron' if self.neuron else ''}"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrawingOptions:
        """Options as ``to_json`` wrote them (lists back to ranges); unknown names refused."""
        unknown = set(data) - NAMES
        if unknown:
            raise ValueError(f"unknown options {', '.join(sorted(unknown))}")
        return resolve_levels([("study", dict(data))])


FIELDS: tuple[dataclasses.Field, ...] = dataclasses.fields(DrawingOptions)
NAMES = frozenset(f.name for f in FIELDS)
DEFAULTS = DrawingOptions()
KINDS = {f.name: f.metadata["spec"].kind for f in FIELDS}  # what the command line reads, by name


def spec(name: str) -> Spec:
    return next(f for f in FIELDS if f.name == name).metadata["spec"]


def flag(name: str) -> str:
    """The flag of option ``name``: --name-with-dashes unless the spec names another."""
    return "--" + (spec(name).flag_name or name.replace("_", "-"))


def help_text(name: str) -> str:
    """An option's help with its range and default, as both command lines show it."""
    s, said = spec(name), []
    if name in LIMITS:
        said.append(describe(name))
    if s.kind is not bool:
        default = getattr(DEFAULTS, name)
        shown = s.unset or ("none" if default is None else _shown(default))
        said.append(f"default: {shown}")
    return f"{s.help} [{'; '.join(said)}]" if said else s.help


def _shown(value: Any) -> str:
    return "-".join(f"{v:g}" for v in value) if isinstance(value, tuple) else str(value)


# Settings of the optimizer that are not options by the same name, and the flag that sets them.
SETTING_FLAGS = {
    "palette": "--pens",
    "pen_widths": "--pens",
    "resume": "--resume",
    "objective": "--objective",
}


def flagged(message: str, extra: Mapping[str, str] | None = None) -> str:
    """An optimizer message with each `setting` it names turned into the flag that sets it."""
    flags = {f.name: flag(f.name) for f in FIELDS} | SETTING_FLAGS | dict(extra or {})
    return re.sub(r"`(\w+)`", lambda m: flags.get(m.group(1), m.group(1)), message)


def parse_range(text: str, name: str) -> tuple:
    """'1-3' -> (1, 3); '2' -> (2, 2); a pair from a sidecar as it is."""
    kind = RANGES[name]
    try:
        if isinstance(text, list | tuple):
            parts = [kind(p) for p in text]
        else:
            text = str(text)
            parts = [kind(p) for p in text.split("-", 1)] if "-" in text.strip("-") else [kind(text)] * 2
    except (ValueError, TypeError):
        raise UserError(f"{flag(name)} takes a number or a range like 1-3, got {text!r}") from None
    if len(parts) != 2 or not all(within(name, p) for p in parts) or parts[0] > parts[1]:
        raise UserError(f"{flag(name)} takes numbers {describe(name)}, low end first, got {text!r}")
    return tuple(parts)


def resolve(given: Mapping[str, Any], study: Mapping[str, Any] | None = None) -> DrawingOptions:
    """Defaults, then a study's options (``--from``), then the recipe named by ``preset``, then
    the options given (None: not given): one checked ``DrawingOptions``."""
    typed = {k: v for k, v in given.items() if v is not None}
    unknown = set(typed) - NAMES
    if unknown:
        raise UserError(f"unknown options {', '.join(sorted(unknown))}")
    preset = typed.get("preset")
    recipe = load_recipe(preset, KINDS) if preset else {}
    return resolve_levels([("study", dict(study or {})), (f"recipe {preset}", recipe), ("given", typed)])


def resolve_levels(levels: list[tuple[str, dict[str, Any]]]) -> DrawingOptions:
    """Merge ``levels`` over the defaults, lowest first, and check the result once."""
    merged = DEFAULTS.to_json()
    views_set: set[str] = set()
    origin: dict[str, str] = {}
    for where, level in levels:
        setters = [way for way, names in COUNTS.items() if any(level.get(n) is not None for n in names)]
        if len(setters) > 1 and where != "study":
            said = f"{where} sets" if where != "given" else "give"
            raise UserError(f"{said} both {' and '.join(setters)}; each sets the number of strokes, keep one")
        if setters:
            merged.update(dict.fromkeys(name for names in COUNTS.values() for name in names))
        merged.update(level)
        views_set |= set(level) & set(_LUCENT)
        origin.update(dict.fromkeys(level, where))
    if merged["views"] not in VIEWS:
        raise UserError(f"--views takes {' or '.join(VIEWS)}, got {merged['views']!r}")
    for name, value in VIEWS[merged["views"]].items():
        if name not in views_set:
            merged[name] = value
    for name in RANGES:
        merged[name] = parse_range(merged[name], name)
    for name in LENGTHS:
        if isinstance(merged[name], str):
            merged[name] = millimetres(merged[name], flag(name))
    for name in DURATIONS:
        if isinstance(merged[name], str):
            merged[name] = parse_duration(merged[name], flag(name))
    for f in FIELDS:
        _check(f.name, merged[f.name], origin.get(f.name, "given"))
    if merged["colors"] not in COLORS:
        raise UserError(f"--colors takes mono or free, got {merged['colors']!r}; for real pens use --pens")
    if merged["pens"] is not None and merged["colors"] != "mono":
        raise UserError("--pens sets the colours from the pen set; leave out --colors")
    return DrawingOptions(**merged)


def _check(name: str, value: Any, where: str) -> None:
    """Refuse a value of the wrong kind, or a number out of its range, naming its source."""
    kind = spec(name).kind
    said = f" (from {where})" if where.startswith("recipe") else ""
    if value is None or name in RANGES:
        return
    if name in LENGTHS or name in DURATIONS:
        if not (isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf):
            like = "length, like 10cm" if name in LENGTHS else "duration, like 20m"
            raise UserError(f"{flag(name)} must be a positive {like}, got {value!r}{said}")
        return
    numeric = kind in (int, float) and isinstance(value, int | float) and not isinstance(value, bool)
    if kind in (int, float) and not numeric or kind in (str, bool) and not isinstance(value, kind):
        raise UserError(f"{flag(name)} takes {kind.__name__}, got {value!r}{said}")
    if name in LIMITS and not within(name, value):
        raise UserError(
            f"{flag(name)} must be {describe(name)}{NOTES.get(name, '')}, got {number(value)}{said}"
        )
    if name == "checkpoint_every" and not value > 0:
        raise UserError(f"--checkpoint-every must be a positive number of seconds, got {number(value)}{said}")
