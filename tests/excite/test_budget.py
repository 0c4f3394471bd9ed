"""Plot budgets: a drawing optimized to plot within --plot-time, or to draw at most
--line-length with any pen, as ``plotkit estimate --optimize`` measures the written SVG;
budgets that buy nothing or too much refused in one line; the options checked at their
edges, over a preset and through --from. Untrained weights: the mechanics, not the look."""

from __future__ import annotations

import json
import pickle
import re

import numpy as np
import pytest

from optim.errors import OverBudget, Overdrawn
from plotkit.cli.app import app
from plotkit.excite import budget
from plotkit.excite.options import resolve
from plotkit.plot.drawing import read_drawing
from plotkit.plot.schedule import estimate
from plotkit.presets import load_plotter
from tests.scenes import TINY_EXCITE

# A short run that still moves strokes (respawns) and so follows the budget while it runs;
# the budget, not --paths, sets how many strokes there are.
_PATHS = TINY_EXCITE.index("--paths")
BUDGETED = [*TINY_EXCITE[:_PATHS], *TINY_EXCITE[_PATHS + 2 :], "--steps", "40", "--respawn-every", "10"]


def _excite(runner, tmp_path, *extra: str, name: str = "d.svg"):
    svg = tmp_path / name
    return runner.invoke(app, ["excite", *BUDGETED, "-o", str(svg), *extra]), svg


def _plot_seconds(svg) -> float:
    return estimate(read_drawing(svg, optimize=True), load_plotter("axidraw-v3")).seconds


@pytest.mark.parametrize(
    "size,pens,budget_s",
    [("6cm", "black-fineliner", 180), ("9cm", "stabilo-point-88", 240)],
)
def test_the_drawing_plots_within_its_time_and_not_far_under_it(runner, tmp_path, size, pens, budget_s):
    result, svg = _excite(
        runner, tmp_path, "--drawing-size", size, "--pens", pens, "--plot-time", f"{budget_s}s"
    )
    assert result.exit_code == 0, result.output
    seconds = _plot_seconds(svg)
    assert 0.9 * budget_s <= seconds <= budget_s
    sidecar = json.loads(svg.with_suffix(".json").read_text())
    assert sidecar["options"]["plot_time"] == budget_s and sidecar["plot"]["seconds"] <= budget_s


def test_no_pen_draws_more_line_than_its_budget(runner, tmp_path):
    result, svg = _excite(
        runner, tmp_path, "--drawing-size", "6cm", "--pens", "black-fineliner", "--line-length", "3m"
    )
    assert result.exit_code == 0, result.output
    drawing = read_drawing(svg, optimize=True)
    per_pen = [
        sum(np.linalg.norm(np.diff(s, axis=0), axis=1).sum() for s in layer.strokes)
        for layer in drawing.layers
    ]
    assert 0.9 * 3000 <= max(per_pen) <= 3000


def test_a_budget_too_small_for_one_stroke_names_the_least_that_works(runner, tmp_path):
    result, _ = _excite(runner, tmp_path, "--drawing-size", "6cm", "--plot-time", "2s")
    assert result.exit_code == 2
    least = re.search(r"give at least --plot-time (\S+)", result.stderr)
    assert least is not None and "Traceback" not in result.output
    result, svg = _excite(
        runner, tmp_path, "--drawing-size", "6cm", "--plot-time", least.group(1), name="e.svg"
    )
    assert result.exit_code == 0, result.output
    assert 1 <= json.loads(svg.with_suffix(".json").read_text())["strokes"]


def test_a_drawing_whose_strokes_outgrew_the_budget_is_refused_naming_their_cost(
    runner, tmp_path, monkeypatch
):
    # Past the refusal before the run (which prices a stroke as long as it may grow), the
    # run's one stroke cannot fit: refused at the end in one line naming what it takes, with
    # nothing written and no checkpoint left that could only end the same way.
    monkeypatch.setattr(budget, "_buys_nothing", lambda *_: None)
    result, svg = _excite(runner, tmp_path, "--drawing-size", "6cm", "--plot-time", "1s")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    said = r"best stroke of the finished drawing .* give at least --plot-time 0m(\d+)s"
    least = re.search(said, result.stderr)
    assert least is not None and int(least.group(1)) > 1
    assert not svg.exists() and not list(tmp_path.glob("*.ckpt"))


def test_a_budget_buying_more_strokes_than_a_drawing_may_have_is_refused(runner, tmp_path):
    result, svg = _excite(runner, tmp_path, "--plot-time", "100000h")
    assert result.exit_code == 2 and "more than the 100,000 a drawing may have" in result.stderr
    assert not svg.exists()


@pytest.mark.parametrize(
    "option,value,said",
    [
        ("--plot-time", "0", "--plot-time takes a duration"),
        ("--plot-time", "0s", "--plot-time must be longer than zero"),
        ("--plot-time", "-5m", "--plot-time takes a duration"),
        ("--plot-time", "nan", "--plot-time takes a duration"),
        ("--plot-time", "soon", "--plot-time takes a duration"),
        ("--line-length", "0m", "--line-length"),
        ("--line-length", "-3m", "--line-length"),
        ("--line-length", "nan", "--line-length"),
        ("--line-length", "150", "--line-length"),  # a length needs its unit
        ("--plotter", "axidraw-v9", "axidraw-v9"),
    ],
)
def test_bad_budgets_are_one_line_and_exit_2(runner, tmp_path, option, value, said):
    extra = [] if option != "--plotter" else ["--plot-time", "5m"]
    result, svg = _excite(runner, tmp_path, option, value, *extra)
    assert result.exit_code == 2 and said in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1 and not svg.exists()


def test_a_budget_and_ink_or_paths_typed_together_are_refused():
    for other in ({"ink": 0.2}, {"paths": 30}):
        with pytest.raises(Exception, match="each sets the number of strokes, keep one"):
            resolve({"plot_time": "20m", **other})


def test_a_typed_budget_wins_over_a_preset_ink_and_a_study_budget():
    assert resolve({"preset": "demo", "plot_time": "20m"}).ink is None
    assert resolve({"line_length": "2m"}, study={"plot_time": 600.0}).plot_time is None
    assert resolve({"plot_time": "1h30m"}).plot_time == 5400


def test_a_study_budget_goes_through_from(runner, tmp_path):
    result, svg = _excite(runner, tmp_path, "--drawing-size", "6cm", "--plot-time", "3m")
    assert result.exit_code == 0, result.output
    framed = tmp_path / "framed.svg"
    result = runner.invoke(
        app,
        [
            "excite",
            "--from",
            str(svg.with_suffix(".json")),
            "--drawing-size",
            "8cm",
            "--steps",
            "4",
            "--finetune-steps",
            "4",
            "--quiet",
            "-o",
            str(framed),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(framed.with_suffix(".json").read_text())["options"]["plot_time"] == 180
    assert _plot_seconds(framed) <= 180


def test_a_gallery_gives_every_study_its_plotting_time(runner, tmp_path):
    out, channel = tmp_path / "gal", BUDGETED.index("--channel")
    gallery = [*BUDGETED[:channel], *BUDGETED[channel + 2 :], "--channels", "1", "--drawing-size", "6cm"]
    result = runner.invoke(app, ["gallery", *gallery, "--plot-time", "2m", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert 0.9 * 120 <= _plot_seconds(out / "ch1.svg") <= 120
    assert "plots in" in (out / "index.html").read_text()


def test_an_over_budget_error_crosses_processes_whole():
    # a Ray task sends its error back pickled: the best stroke and its place must come too
    for kind in (OverBudget, Overdrawn):
        back = pickle.loads(pickle.dumps(kind("nothing fits", ("scene", "pens"), 2)))
        assert type(back) is kind and str(back) == "nothing fits"
        assert back.alone == ("scene", "pens") and back.drawing == 2
