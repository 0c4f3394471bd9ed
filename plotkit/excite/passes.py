"""A stroke wider than its pen, drawn as several passes of that pen.

The passes are the stroke's centre line offset to each side, spaced at most a pen width
apart so no paper shows between them, the outer ones touching the stroke's edge. Each is
cut to the stroke's outline shrunk by half a pen width (round caps included), so no ink
falls outside the stroke; consecutive passes run back and forth and join into one pen-down
path wherever the step between them stays inside the stroke.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString

JOIN = 0.4  # a step between passes may stray this many pen widths past them: it is drawn, not lifted
EDGE = 1e-3  # relative slack of the outline the passes are cut to


def pass_count(width: float, pen: float) -> int:
    """Passes of a ``pen`` that fill a stroke ``width`` wide: one for a stroke no wider, else
    an odd number, so a pass runs down the middle and reaches the tips of the round caps."""
    needed = max(1, math.ceil(width / pen - 1e-6))
    return needed + 1 - needed % 2


def passes(line: np.ndarray, width: float, pen: float) -> list[np.ndarray]:
    """Pen-down paths (N x 2 arrays) that draw the polyline ``line`` ``width`` wide with a
    ``pen`` this wide; a stroke no wider than the pen is the line itself."""
    n = pass_count(width, pen)
    if n == 1 or len(line) < 2:
        return [line]
    centre = LineString(line)
    if centre.length == 0:
        return [line]
    # where a pen's centre may go; a hair wider, so the outer passes, which run along its edge,
    # stay whole
    inside = centre.buffer((width - pen) / 2 * (1 + EDGE), quad_segs=8)
    reach = _extended(line, width / 2)  # long enough to reach the round caps
    step = (width - pen) / (n - 1)
    pieces: list[np.ndarray] = []
    for k in range(n):
        offset = -(width - pen) / 2 + k * step
        straight = abs(offset) < 1e-9 * width
        curve = reach if straight else reach.offset_curve(offset, quad_segs=8, join_style="round")
        cut = shapely.line_merge(curve.intersection(inside))
        lines = _lines(cut)
        if k % 2:  # back and forth: each pass starts where the last one ended
            lines = [part[::-1] for part in reversed(lines)]
        pieces += lines
    return _joined(pieces, inside.buffer(JOIN * pen / 2))


def _extended(line: np.ndarray, by: float) -> LineString:
    """The polyline with its end segments carried on straight by ``by`` (no vertex where they
    met the old ends: GEOS offsets collinear vertices badly)."""
    start = line[0] - _unit(line[1] - line[0], line) * by
    end = line[-1] + _unit(line[-1] - line[-2], line) * by
    return LineString(np.vstack([start, line[1:-1], end]))


def _unit(v: np.ndarray, line: np.ndarray) -> np.ndarray:
    """``v`` as a unit vector; for a repeated point, the direction of the whole line."""
    norm = np.hypot(*v)
    if norm == 0:
        v = line[-1] - line[0]
        norm = np.hypot(*v) or 1.0
    return v / norm


def _lines(geometry: shapely.Geometry) -> list[np.ndarray]:
    if geometry.is_empty:
        return []
    parts = geometry.geoms if isinstance(geometry, MultiLineString) else [geometry]
    return [np.asarray(p.coords) for p in parts if isinstance(p, LineString) and p.length > 0]


def _joined(pieces: list[np.ndarray], room: shapely.Geometry) -> list[np.ndarray]:
    """Consecutive pieces become one path where the step between them stays in ``room``."""
    paths: list[np.ndarray] = []
    for piece in pieces:
        if paths and room.contains(LineString([paths[-1][-1], piece[0]])):
            paths[-1] = np.vstack([paths[-1], piece])
        else:
            paths.append(piece)
    return paths
