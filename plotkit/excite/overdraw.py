"""Overdraw: how many times a pen lays ink on one spot of the paper (``--max-overdraw``).

A spot is inked by a pen whose tip, ``width`` wide, comes within half that width of it; it
is inked again each time the tip comes back after leaving it: two strokes crossing, a loop
crossing itself, neighbouring passes of a wide stroke overlapping. Spots are the centres of
a grid a quarter of the finest pen wide, and a line is followed in steps no longer than that.
Joining lines end to end never adds a laying, so ink counted stroke by stroke is never under
the count of the same lines merged and sorted into the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SPOTS_PER_PEN = 4  # grid spots across the finest pen's width, and steps along a line per width
MOST_SPOTS = 64_000_000  # a larger grid is coarsened to this (a 1 m drawing with a 0.3 mm pen)


@dataclass(frozen=True)
class Grid:
    """The spots of a rectangle of paper: origin, spacing, columns and rows (any length unit)."""

    x: float
    y: float
    cell: float
    columns: int
    rows: int

    @classmethod
    def over(cls, x: float, y: float, width: float, height: float, pen: float) -> Grid:
        """Spots a quarter of ``pen`` apart over the rectangle (fewer, past ``MOST_SPOTS``),
        on a lattice from the page's corner: any rectangle holding the drawing counts the
        same spots."""
        cell = max(pen / SPOTS_PER_PEN, math.sqrt(width * height / MOST_SPOTS))
        x0, y0 = math.floor(x / cell) * cell, math.floor(y / cell) * cell
        return cls(
            x0, y0, cell, math.ceil((x + width - x0) / cell) + 1, math.ceil((y + height - y0) / cell) + 1
        )

    def layings(self, paths: Sequence[np.ndarray], width: float) -> tuple[np.ndarray, np.ndarray]:
        """The spots ``paths`` (N x 2 arrays) drawn with a pen ``width`` wide ink, as flat
        indices, and how many times each: a laying starts where the tip comes within half
        its width of the spot and ends only once it is a spot farther (a tip grazing the edge
        of its reach lays ink once)."""
        tips = [_followed(np.asarray(p, dtype=float), self.cell) for p in paths if len(p)]
        if not tips:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # the tip's positions, numbered so that two paths' are never one after another
        offsets = np.cumsum([0] + [len(t) + 2 for t in tips[:-1]])
        position = np.concatenate([o + np.arange(len(t)) for o, t in zip(offsets, tips, strict=True)])
        tip = np.concatenate(tips)
        radius, near = width / 2, width / 2 + self.cell
        reach = math.ceil(near / self.cell) + 1
        steps = np.arange(-reach, reach + 1)
        box = np.stack(np.meshgrid(steps, steps), -1).reshape(-1, 2)
        box = box[np.linalg.norm(box, axis=1) <= near / self.cell + 1.5]  # a spot's cell holds the tip
        corner = np.floor((tip - (self.x, self.y)) / self.cell).astype(np.int64)
        sx, sy = corner[:, :1] + box[:, 0], corner[:, 1:] + box[:, 1]  # (positions, box)
        squared = (self.x + sx * self.cell - tip[:, :1]) ** 2 + (self.y + sy * self.cell - tip[:, 1:]) ** 2
        on_paper = (sx >= 0) & (sx < self.columns) & (sy >= 0) & (sy < self.rows)
        at, which = np.nonzero((squared <= near**2) & on_paper)  # in order of the tip's positions
        flat = sy[at, which] * self.columns + sx[at, which]
        order = np.argsort(flat, kind="stable")
        flat, when, inked = flat[order], position[at][order], squared[at, which][order] <= radius**2
        # a stretch of the tip's positions near a spot, one after another; a laying if it inked
        new = np.ones(len(flat), dtype=bool)
        new[1:] = (flat[1:] != flat[:-1]) | (when[1:] != when[:-1] + 1)
        starts = np.flatnonzero(new)
        if not len(starts):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        spot, count = np.unique(flat[starts][np.maximum.reduceat(inked, starts)], return_counts=True)
        return spot, count.astype(np.int64)

    def counts(self, inked: Sequence[tuple[Sequence[np.ndarray], float]]) -> np.ndarray:
        """Times each spot is inked by all of ``inked``: (paths, pen width) pairs."""
        total = np.zeros(self.columns * self.rows, dtype=np.int64)
        for paths, width in inked:
            spot, count = self.layings(paths, width)
            total[spot] += count
        return total


def crowded(
    grid: Grid, strokes: Sequence[tuple[Sequence[np.ndarray], float]], order: Sequence[int], limit: int
) -> np.ndarray:
    """Which of ``strokes`` ((paths, pen width) each) to leave out so that no spot is inked
    more than ``limit`` times: taken in ``order`` (the strongest first), a stroke is left out
    when it would take a spot past the limit."""
    total = np.zeros(grid.columns * grid.rows, dtype=np.int64)
    out = np.zeros(len(strokes), dtype=bool)
    for i in order:
        spot, count = grid.layings(*strokes[i])
        if len(spot) and int((total[spot] + count).max()) > limit:
            out[i] = True
        else:
            total[spot] += count
    return out


def _followed(path: np.ndarray, step: float) -> np.ndarray:
    """The tip's positions along ``path``, at most ``step`` apart, every vertex included."""
    if len(path) < 2:
        return path.reshape(-1, 2)
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    pieces = np.maximum(1, np.ceil(seg / step)).astype(int)
    start = np.repeat(np.arange(len(seg)), pieces)
    t = (np.arange(len(start)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / pieces[start]
    tip = path[start] + (path[start + 1] - path[start]) * t[:, None]
    return np.vstack([tip, path[-1:]])
