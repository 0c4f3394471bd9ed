"""Random stroke initialization: short random walks of cubic control points."""

from __future__ import annotations

import torch

from optim.render.scene import StrokeScene

# Each control point is within this share of the canvas of the one before. The write-up
# took 0.1; half of it (strokes as long as the motifs a channel repeats, so more of them for
# the same ink) reached 12 % to 52 % more activation on four channels of the real
# MobileNetV2 at --ink 0.3 (features.4:7, .7:1, .7:7, .7:21; 150 steps), 0.03 a little
# more but with the ink drifting past its target.
RADIUS = 0.05


def random_walk(
    start: torch.Tensor,
    segments: int,
    size: torch.Tensor,
    radius: float = RADIUS,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Control points of a ``segments``-segment stroke from ``start`` (1, 2): each next one is
    the last plus a uniform step of at most ``radius`` times the canvas ``size`` (w, h)."""
    steps = (torch.rand(3 * segments, 2, generator=generator, dtype=start.dtype) * 2 - 1) * radius * size
    return torch.cat([start, start + torch.cumsum(steps, 0)])


def random_scene(
    n_paths: int,
    width: int,
    height: int,
    *,
    segments: tuple[int, int] = (1, 3),
    radius: float = RADIUS,
    stroke_width: float = 1.0,
    colors: torch.Tensor | None = None,
    opacity: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> StrokeScene:
    """``n_paths`` strokes of ``segments[0]..segments[1]`` cubic segments each.

    Each stroke starts at a uniformly random point; every next control point is the
    previous one plus a uniform step of at most ``radius`` times the canvas size (the
    write-up's random walk, shorter). ``colors`` is (n_paths, 3); black when omitted.
    """
    lo, hi = segments
    seg = torch.randint(lo, hi + 1, (n_paths,), generator=generator)
    size = torch.tensor([width, height], dtype=dtype)
    paths = []
    for k in seg.tolist():
        start = torch.rand(1, 2, generator=generator, dtype=dtype) * size
        paths.append(random_walk(start, k, size, radius, generator))
    if colors is None:
        colors = torch.zeros(n_paths, 3, dtype=dtype)
    return StrokeScene.from_paths(paths, [stroke_width] * n_paths, colors, [opacity] * n_paths, width, height)
