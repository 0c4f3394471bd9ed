"""Allowed ranges of the optimizer's settings, in one place: ``ExciteSettings`` refuses
values outside them, and command lines show them in their help.

Each range is inclusive, (low, high); None means no bound on that side.
"""

from __future__ import annotations

LIMITS: dict[str, tuple[float | None, float | None]] = {
    "channel": (0, None),  # the top depends on the layer: the objective checks it
    "paths": (1, 100_000),
    "segments": (1, 16),
    "size": (32, 16_384),
    "steps": (1, 1_000_000),
    "lr": (1e-6, 1_000.0),
    "stroke_width": (0.01, 1_000.0),
    "tile": (1, 32),
    "finetune_steps": (0, 1_000_000),
    "batch": (1, 256),
    "input_size": (32, 4_096),
    "perspective": (0.0, 1.0),
    "crop_scale": (0.01, 1.0),
    "jitter": (0, 4_096),
    "seed": (0, 2**32 - 1),
    "pad": (0, 4_096),
    "scale": (0.1, 10.0),
    "rotate": (0.0, 180.0),
    "ink": (0.01, 0.95),
    "max_pens": (1, 1_000),
    "max_overdraw": (1, 1_000_000),
    "respawn_every": (0, 1_000_000),
    "threads": (1, 1_024),
}


def number(value: float) -> str:
    """As people write it: 100000 (not 1e+05), 0.5."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def describe(name: str) -> str:
    """The range of ``name`` in words: 'from 1 to 100000', '0 or more'."""
    low, high = LIMITS[name]
    if high is None:
        return f"{number(low)} or more"
    return f"from {number(low)} to {number(high)}"


def within(name: str, value: float) -> bool:
    low, high = LIMITS[name]
    return (low is None or value >= low) and (high is None or value <= high)


# The narrowest line, in canvas pixels, that the network sees as a line rather than a
# faint grey: pens are optimized at least this wide.
MIN_PEN_PX = 1.5
