"""The optimizer's options, defined once for ``plotkit excite`` and ``vpype neuronexc``.

Each option is a row of ``EXCITE_OPTIONS``; the typer signature (``plotkit.cli``) and the
click decorators (``plotkit.vpype_plugin``) are both generated from it, and ``resolve``
merges defaults, a recipe preset and what the user typed. Free of torch, typer and click:
vpype imports this table at start, for every command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plotkit.presets import load_recipe


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


def resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then the recipe named by --preset, then the options given."""
    merged = {o.name: o.default for o in EXCITE_OPTIONS}
    if values.get("preset"):
        merged.update(load_recipe(values["preset"], BY_NAME))
    merged.update({k: v for k, v in values.items() if k in BY_NAME and v not in (None, False)})
    return merged
