"""A scene of open cubic Bézier strokes, packed into flat tensors for the renderer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor


def path_offsets(segments: Tensor) -> Tensor:
    """Index of each path's first control point, for paths of ``segments`` cubic segments."""
    counts = 3 * segments + 1
    return torch.cumsum(counts, 0) - counts


@dataclass
class StrokeScene:
    """Open cubic Bézier strokes on a canvas measured in pixels.

    Path ``i`` has ``segments[i]`` cubic segments and so ``3 * segments[i] + 1``
    consecutive rows of ``points``; paths are packed one after the other so that a
    single tensor (one Adam parameter) holds every control point of the drawing.
    Paths are painted in index order (it matters only for the ``over`` blend).
    """

    points: Tensor  # (sum(3k+1), 2) x, y in canvas pixels
    segments: Tensor  # (n_paths,) int64, cubic segments per path (>= 1)
    widths: Tensor  # (n_paths,) stroke width in canvas pixels
    colors: Tensor  # (n_paths, 3) RGB in [0, 1]
    opacities: Tensor  # (n_paths,) in [0, 1]
    width: int  # canvas width in pixels
    height: int  # canvas height in pixels

    def __post_init__(self) -> None:
        n = self.segments.shape[0]
        if self.segments.dtype != torch.int64:
            raise ValueError("segments must be an int64 tensor")
        if n and int(self.segments.min()) < 1:
            raise ValueError("every path needs at least one cubic segment")
        expected = int((3 * self.segments + 1).sum()) if n else 0
        if self.points.shape != (expected, 2):
            raise ValueError(f"points must have shape ({expected}, 2), got {tuple(self.points.shape)}")
        for name, shape in (("widths", (n,)), ("colors", (n, 3)), ("opacities", (n,))):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {tuple(getattr(self, name).shape)}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"canvas size must be positive, got {self.width}x{self.height}")

    @property
    def n_paths(self) -> int:
        return int(self.segments.shape[0])

    @property
    def path_offsets(self) -> Tensor:
        """Index of each path's first point in ``points``."""
        return path_offsets(self.segments)

    def path_points(self, i: int) -> Tensor:
        start = int(self.path_offsets[i])
        return self.points[start : start + 3 * int(self.segments[i]) + 1]

    def to(self, device: torch.device | str) -> StrokeScene:
        """The same drawing with its tensors on ``device``."""
        return replace(
            self,
            points=self.points.to(device),
            widths=self.widths.to(device),
            colors=self.colors.to(device),
            opacities=self.opacities.to(device),
        )

    def subset(self, keep: Tensor) -> StrokeScene:
        """Only the paths where the boolean mask ``keep`` (one per path) is true, in order."""
        keep = keep.to(self.segments.device)
        rows = torch.repeat_interleave(keep, 3 * self.segments + 1)
        return replace(
            self,
            points=self.points[rows.to(self.points.device)],
            segments=self.segments[keep],
            widths=self.widths[keep.to(self.widths.device)],
            colors=self.colors[keep.to(self.colors.device)],
            opacities=self.opacities[keep.to(self.opacities.device)],
        )

    def scaled(self, factor: float) -> StrokeScene:
        """The same drawing with coordinates and widths multiplied by ``factor``."""
        return replace(
            self,
            points=self.points * factor,
            widths=self.widths * factor,
            width=max(1, round(self.width * factor)),
            height=max(1, round(self.height * factor)),
        )

    def framed(self, x0: float, y0: float, side: int, pixels: int) -> StrokeScene:
        """The square of ``side`` px at (x0, y0) of the canvas as a canvas ``pixels`` across:
        that window shrunk, with no cost for the pixels it no longer has."""
        corner = torch.tensor([x0, y0], dtype=self.points.dtype, device=self.points.device)
        return replace(self, points=self.points - corner, width=side, height=side).scaled(pixels / side)

    @classmethod
    def from_paths(
        cls,
        paths: Sequence[Tensor],
        widths: Sequence[float] | Tensor,
        colors: Sequence[Sequence[float]] | Tensor,
        opacities: Sequence[float] | Tensor,
        width: int,
        height: int,
    ) -> StrokeScene:
        """Pack per-path control point arrays of shape (3k+1, 2)."""
        dtype = paths[0].dtype if paths else torch.float32
        for p in paths:
            if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 4 or (p.shape[0] - 1) % 3:
                raise ValueError(f"a path needs 3k+1 control points (k >= 1), got shape {tuple(p.shape)}")
        points = torch.cat(list(paths)) if paths else torch.zeros(0, 2, dtype=dtype)
        segments = torch.tensor([(p.shape[0] - 1) // 3 for p in paths], dtype=torch.int64)
        as_t = lambda v: torch.as_tensor(v, dtype=dtype)  # noqa: E731
        return cls(
            points=points,
            segments=segments,
            widths=as_t(widths).reshape(len(paths)),
            colors=as_t(colors).reshape(len(paths), 3),
            opacities=as_t(opacities).reshape(len(paths)),
            width=width,
            height=height,
        )
