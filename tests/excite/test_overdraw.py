"""--max-overdraw: how many times ink lies on one spot, counted on lines as a pen draws them,
and a drawing that never passes the limit in the SVG it writes; limits that keep hardly a
stroke refused, naming the least that works; the option at its edges, over a preset and
through --from."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import vpype as vp
from hypothesis import given, settings
from hypothesis import strategies as st

from plotkit.cli.app import app
from plotkit.excite import budget
from plotkit.excite.options import resolve
from plotkit.excite.overdraw import Grid, crowded
from plotkit.excite.passes import passes
from tests.excite.test_budget import BUDGETED

PEN = 1.0
GRID = Grid.over(0, 0, 100, 100, PEN)


def most(*paths: np.ndarray, pen: float = PEN) -> int:
    return int(Grid.over(0, 0, 100, 100, pen).counts([(list(paths), pen)]).max())


def test_a_line_inks_once_and_two_crossing_lines_twice():
    across, down = np.array([[10.0, 50], [90, 50]]), np.array([[50.0, 10], [50, 90]])
    assert most(across) == 1
    assert most(across, down) == 2
    assert int(GRID.counts([([across], PEN), ([down], PEN)]).max()) == 2


def test_a_line_coming_back_within_its_pen_inks_twice_and_a_pen_apart_once():
    def hairpin(gap: float) -> np.ndarray:
        return np.array([[10.0, 50], [90, 50], [90, 50 + gap], [10, 50 + gap]])

    assert most(hairpin(0.5)) == 2
    assert most(hairpin(2.0)) == 1


def test_a_wide_stroke_in_passes_inks_where_they_overlap_as_often_as_they_do():
    line = np.array([[10.0, 50], [90, 50]])
    assert most(*passes(line, 0.5, 0.3), pen=0.3) == 3  # three passes 0.1 apart: all on the middle
    assert most(*passes(line, 0.3, 0.3), pen=0.3) == 1


def test_a_tip_grazing_the_edge_of_its_reach_inks_once():
    # a zigzag whose corners come a hair inside and outside a spot's reach
    t = np.linspace(10, 90, 200)
    wobble = np.stack([t, 50 + 0.5 + 0.01 * (-1) ** np.arange(200)], 1)
    assert most(wobble) == 1


polyline = st.lists(st.tuples(st.floats(5, 95), st.floats(5, 95)), min_size=2, max_size=8).map(
    lambda p: np.array(p, dtype=float)
)


@settings(max_examples=40, deadline=None)
@given(polyline, st.integers(1, 6), st.integers(1, 3))
def test_copies_add_up_and_cutting_a_line_never_lowers_a_count(line, cut, copies):
    one = GRID.counts([([line], PEN)])
    assert np.array_equal(GRID.counts([([line] * copies, PEN)]), copies * one)
    k = min(cut, len(line) - 1)
    if 0 < k < len(line) - 1:
        pieces = GRID.counts([([line[: k + 1], line[k:]], PEN)])
        assert (pieces >= one).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(polyline, min_size=1, max_size=10), st.integers(1, 3))
def test_the_strokes_left_out_are_those_that_would_pass_the_limit(lines, limit):
    strokes = [([line], PEN) for line in lines]
    out = crowded(GRID, strokes, list(range(len(strokes))), limit)
    kept = [s for s, o in zip(strokes, out, strict=True) if not o]
    base = GRID.counts(kept)
    assert base.max(initial=0) <= limit
    for stroke, o in zip(strokes, out, strict=True):
        if o:  # would pass it beside those kept (which are all stronger or harmless)
            assert (base + GRID.counts([stroke])).max() > limit


def svg_overdraw(svg) -> int:
    """The most times ink lies on one spot of a written SVG, each layer at its pen's width."""
    doc = vp.read_multilayer_svg(str(svg), 0.05)
    inked = [
        ([np.stack([line.real, line.imag], 1) for line in layer], layer.property(vp.METADATA_FIELD_PEN_WIDTH))
        for layer in doc.layers.values()
    ]
    x0, y0, x1, y1 = doc.bounds()
    grid = Grid.over(x0 - 5, y0 - 5, x1 - x0 + 10, y1 - y0 + 10, min(w for _, w in inked))
    return int(grid.counts(inked).max())


def _excite(runner, tmp_path, *extra: str, name: str = "d.svg"):
    svg = tmp_path / name
    return runner.invoke(app, ["excite", *BUDGETED, "-o", str(svg), *extra]), svg


@pytest.mark.parametrize("pens,limit", [("stabilo-point-88", 2), ("black-fineliner", 3)])
def test_the_written_svg_never_lays_ink_more_often_than_the_limit(runner, tmp_path, pens, limit):
    common = ["--drawing-size", "6cm", "--pens", pens]
    if limit == 2:
        result, free = _excite(runner, tmp_path, *common, name="free.svg")
        assert result.exit_code == 0, result.output
        assert svg_overdraw(free) > limit  # so the limit has something to do
    result, svg = _excite(runner, tmp_path, *common, "--max-overdraw", str(limit))
    assert result.exit_code == 0, result.output
    assert svg_overdraw(svg) <= limit
    assert json.loads(svg.with_suffix(".json").read_text())["strokes"] > 0


def test_a_limit_most_strokes_pass_on_their_own_names_the_least_that_works(runner, tmp_path):
    # at 6 cm the stabilo's strokes are three overlapping passes: each inks some spots twice
    common = ["--drawing-size", "6cm", "--pens", "stabilo-point-88", "--plot-time", "3m"]
    result, svg = _excite(runner, tmp_path, *common, "--max-overdraw", "1")
    assert result.exit_code == 2 and "give at least --max-overdraw 2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not svg.exists()


@pytest.mark.parametrize(
    "value,said",
    [("0", "from 1"), ("-2", "from 1"), ("nan", "integer"), ("1.5", "integer"), ("9e9", "integer")],
)
def test_bad_overdraw_limits_exit_2_naming_the_option(runner, tmp_path, value, said):
    result, svg = _excite(runner, tmp_path, "--max-overdraw", value)
    assert result.exit_code == 2 and "--max-overdraw" in result.stderr and said in result.stderr
    assert "Traceback" not in result.output and not svg.exists()


def test_a_huge_limit_is_accepted_and_changes_nothing_else():
    assert resolve({"max_overdraw": 1_000_000}).max_overdraw == 1_000_000
    with pytest.raises(Exception, match="--max-overdraw must be from 1 to 1000000"):
        resolve({"max_overdraw": 1_000_001})


def test_a_typed_limit_wins_over_a_preset_and_a_study_and_goes_through_from(runner, tmp_path):
    assert resolve({"preset": "demo", "max_overdraw": 3}).max_overdraw == 3
    assert resolve({"max_overdraw": 4}, study={"max_overdraw": 2}).max_overdraw == 4
    result, svg = _excite(
        runner, tmp_path, "--drawing-size", "6cm", "--pens", "stabilo-point-88", "--max-overdraw", "3"
    )
    assert result.exit_code == 0, result.output
    framed = tmp_path / "framed.svg"
    result = runner.invoke(
        app,
        ["excite", "--from", str(svg.with_suffix(".json")), "--drawing-size", "8cm", "--steps", "4"]
        + ["--finetune-steps", "4", "--quiet", "-o", str(framed)],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(framed.with_suffix(".json").read_text())["options"]["max_overdraw"] == 3
    assert svg_overdraw(framed) <= 3


def test_a_finished_drawing_left_without_strokes_by_the_limit_is_refused_naming_the_least(
    runner, tmp_path, monkeypatch
):
    # Past the refusal before the run (which judges the recipe's strokes), the run's one
    # stroke, three overlapping stabilo passes at 6 cm, inks a spot of its own twice: the
    # limit leaves nothing to write, refused in one line, with no checkpoint left behind.
    monkeypatch.setattr(budget, "_too_crowded", lambda *_: None)
    common = ["--drawing-size", "6cm", "--pens", "stabilo-point-88", "--paths", "1"]
    result, svg = _excite(runner, tmp_path, *common, "--max-overdraw", "1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "leaves out every stroke of the finished drawing" in result.stderr
    assert re.search(r"give at least --max-overdraw [2-9]", result.stderr)
    assert not svg.exists() and not list(tmp_path.glob("*.ckpt"))


def test_a_time_the_limit_leaves_unfilled_is_said_with_what_fills_it(runner, tmp_path):
    # twenty minutes buy far more strokes than may cross on 6 cm with each stroke's three
    # passes inking its own spots twice: the limit, not the time, sets the drawing
    common = ["--drawing-size", "6cm", "--pens", "black-fineliner", "--plot-time", "20m"]
    result, svg = _excite(runner, tmp_path, *common, "--max-overdraw", "3")
    assert result.exit_code == 0, result.output
    share = json.loads(svg.with_suffix(".json").read_text())["plot"]["seconds"] / 1200
    assert share < budget.FULL
    said = f"Note: it plots in {share:.0%} of --plot-time 20m00s: --max-overdraw 3 left room for no more"
    assert said in result.output and "give it more paper (--drawing-size) or a larger limit" in result.output


@pytest.mark.parametrize(
    "plot_time,limit,seconds,said",
    [
        (None, 3, 10.0, None),  # no time budget: nothing to fill
        (600.0, 3, 540.0, None),  # 0.9 of it is full
        (600.0, None, 300.0, "it plots in 50% of --plot-time 10m00s"),
        (600.0, 2, 0.0, "it plots in 0% of --plot-time 10m00s: --max-overdraw 2 left room"),
    ],
)
def test_only_a_time_left_well_unfilled_is_said(plot_time, limit, seconds, said):
    told = budget.short_of(plot_time, limit, seconds)
    assert told == said if said is None else told.startswith(said)
