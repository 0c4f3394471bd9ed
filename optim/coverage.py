"""How much of the paper a drawing inks, and how many strokes ink a given share of it.

Coverage is the mean ink of the drawing rendered black and opaque over its canvas: a
pixel half covered counts half. Random strokes overlap like a Poisson process, so the
uncovered share falls as ``(1 - c0) ** (n / n0)``; one trial render of ``n0`` random
strokes tells how many give a target coverage.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from optim.limits import LIMITS
from optim.render import StrokeScene, render
from optim.strokes import random_scene

TRIAL_STROKES = 200  # enough for the trial's coverage to be within a few per cent
# A larger canvas is tried at this side, its strokes' width scaled alike: the same coverage
# (within half a per cent at 2048 px) without rendering a huge canvas to count strokes.
TRIAL_SIDE = 512


def ink_coverage(scene: StrokeScene) -> float:
    """Share of the canvas covered by ink, strokes drawn black and fully opaque."""
    black = replace(scene, colors=torch.zeros_like(scene.colors), opacities=torch.ones_like(scene.opacities))
    with torch.no_grad():
        return float(1 - render(black).mean())


def strokes_for_ink(
    ink: float, size: int, stroke_width: float, segments: tuple[int, int], seed: int = 0
) -> int:
    """Random strokes of ``stroke_width`` pixels that cover ``ink`` of a ``size`` px canvas."""
    g = torch.Generator().manual_seed(seed)
    side = min(size, TRIAL_SIDE)
    trial = random_scene(
        TRIAL_STROKES, side, side, segments=segments, stroke_width=stroke_width * side / size, generator=g
    )
    covered = min(ink_coverage(trial), 1 - 1e-6)
    if covered <= 0:
        return int(LIMITS["paths"][1])
    n = TRIAL_STROKES * math.log(1 - ink) / math.log(1 - covered)
    return max(1, min(int(LIMITS["paths"][1]), round(n)))
