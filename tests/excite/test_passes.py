"""A stroke wider than its pen drawn in passes: enough of them, covering the stroke, inside
it, and joined into as few pen-down paths as the stroke's shape allows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from shapely.ops import unary_union

from plotkit.excite.passes import pass_count, passes

LINES = {
    "straight": np.array([[0.0, 0.0], [20.0, 0.0]]),
    "wave": np.c_[10 * np.linspace(0, 3, 60), 5 * np.sin(2 * np.linspace(0, 3, 60))],
    "arc": np.c_[6 * np.cos(np.linspace(0, 4, 80)), 6 * np.sin(np.linspace(0, 4, 80))],
}


def _ink(paths: list[np.ndarray], pen: float):
    """What a round pen inks along ``paths``: the union of each segment's capsule. GEOS's buffer
    of a whole path that crosses itself may fill spots no segment comes near (1.5 mm^2 on one
    path hypothesis found, a pass folding across a sharp turn)."""
    return unary_union(
        [LineString(p[i : i + 2]).buffer(pen / 2) for p in paths if len(p) > 1 for i in range(len(p) - 1)]
    )


def _covered_within(outline, ink, tolerance: float) -> bool:
    """Every point of ``outline`` lies within ``tolerance`` of ``ink``."""
    missed = outline.difference(ink)
    return (
        missed.is_empty or missed.hausdorff_distance(ink.intersection(missed.buffer(tolerance))) <= tolerance
    )


@pytest.mark.parametrize(
    "width,pen,count",
    [(1.3, 0.3, 5), (0.3, 0.3, 1), (0.2, 0.3, 1), (0.61, 0.3, 3), (1.0, 0.5, 3), (1.2, 0.3, 5)],
)
def test_a_stroke_takes_as_many_passes_as_its_width_needs(width, pen, count):
    assert pass_count(width, pen) == count


@pytest.mark.parametrize("name", LINES)
def test_passes_cover_the_stroke_stay_inside_it_and_join_into_one_path(name):
    line, width, pen = LINES[name], 1.3, 0.3
    drawn = passes(line, width, pen)
    outline = LineString(line).buffer(width / 2)
    ink = _ink(drawn, pen)
    assert len(drawn) == 1  # back and forth, never lifted: the steps stay inside the stroke
    assert ink.difference(outline.buffer(pen / 4)).is_empty  # no ink outside the stroke
    assert outline.difference(ink.buffer(0.55 * pen)).area < 1e-4 * outline.area  # covered within half a pen


def test_a_stroke_no_wider_than_its_pen_is_its_centre_line():
    line = LINES["wave"]
    assert passes(line, 0.3, 0.3)[0] is line and len(passes(line, 0.2, 0.3)) == 1


@settings(max_examples=40, deadline=None)
@example(
    points=[(0.0, 0.0), (12.0, 0.0), (0.0, 5.0), (6.0, 17.0), (8.0, -5.0), (0.0, 1.0)], width=1.0, pen=0.25
)
@given(
    points=st.lists(st.tuples(st.floats(-20, 20), st.floats(-20, 20)), min_size=2, max_size=8, unique=True),
    width=st.floats(0.35, 3.0),
    pen=st.floats(0.1, 0.8),
)
def test_passes_of_any_stroke_stay_inside_it_and_cover_it(points, width, pen):
    line = np.array(points)
    if LineString(line).length < 1e-3:
        return
    drawn = passes(line, width, pen)
    outline = LineString(line).buffer(width / 2)
    ink = _ink(drawn, pen)
    assert ink.difference(outline.buffer(pen / 4)).area < 1e-3 * outline.area  # nothing outside
    # covered within half a pen, but for slivers: at the round caps, between passes that turn
    # back at the other end, and inside sharp turns, where the inner offsets fold away
    assert outline.difference(ink.buffer(0.55 * pen)).area < 0.03 * outline.area
