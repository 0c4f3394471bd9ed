"""Every optimizer option at its edges: 0 kept, out of range refused with the range,
recipes overridden by what the user gives (issue 11, items 1 and 6)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from optim.limits import LIMITS, number
from plotkit.cli.app import app
from plotkit.errors import UserError
from plotkit.excite.options import FIELDS, KINDS, flag, resolve
from plotkit.excite.request import request
from plotkit.excite.settings import plan, tiles_for_view
from tests.scenes import TINY_EXCITE

NUMERIC = [name for name, kind in KINDS.items() if kind in (int, float) and name in LIMITS]


def planned(given: dict, drawing_mm: float):
    return plan(request(given), drawing_mm)


def _recipe(tmp_path, monkeypatch, text: str) -> str:
    (tmp_path / "recipes").mkdir(exist_ok=True)
    (tmp_path / "recipes" / "mine.toml").write_text(text)
    monkeypatch.setenv("PLOTKIT_PRESETS", str(tmp_path))
    return "mine"


def test_zero_is_a_value_not_a_missing_option():
    zeros = {"channel": 0, "jitter": 0, "perspective": 0.0, "seed": 0, "finetune_steps": 0}
    assert {k: getattr(resolve(zeros), k) for k in zeros} == zeros
    run = planned({**zeros, "weights": "random"}, 150.0)
    assert run.settings.objective == "conv3_3:0"
    assert run.settings.augment.jitter == 0 and run.settings.augment.perspective == 0.0


@pytest.mark.parametrize("option", NUMERIC)
def test_each_option_at_its_edges(option):
    low, high = LIMITS[option]
    kind = KINDS[option]
    assert getattr(resolve({option: kind(low)}), option) == low  # the edge itself is kept
    refused = [low - 1 if kind is int else low - 0.5, -1]
    if high is not None:
        assert getattr(resolve({option: kind(high)}), option) == high
        refused.append(high * 10 + 1)
    if low > 0:
        refused.append(0)
    for value in refused:
        if value >= low and (high is None or value <= high):
            continue
        value = kind(value)
        with pytest.raises(UserError, match=rf"^{flag(option)} must be .*got {re.escape(number(value))}"):
            resolve({option: value})
    if kind is float:
        with pytest.raises(UserError, match=rf"^{flag(option)} must be .*got nan"):
            resolve({option: math.nan})


@pytest.mark.parametrize("option", NUMERIC)
def test_a_given_value_overrides_the_recipe_zero_included(option, tmp_path, monkeypatch):
    low, high = LIMITS[option]
    mine, theirs = KINDS[option](low), KINDS[option](high if high is not None else low + 5)
    name = _recipe(tmp_path, monkeypatch, f"{option} = {theirs!r}\n")
    assert getattr(resolve({"preset": name}), option) == theirs
    assert getattr(resolve({"preset": name, option: mine}), option) == mine


def test_flags_turn_a_recipes_flag_off(tmp_path, monkeypatch):
    name = _recipe(tmp_path, monkeypatch, "neuron = true\nlearn_widths = true\n")
    assert resolve({"preset": name}).neuron is True
    assert resolve({"preset": name, "neuron": False, "learn_widths": False}).neuron is False
    run = planned({"preset": name, "neuron": False, "learn_widths": False}, 150.0)
    assert not run.settings.objective.endswith("@neuron") and not run.settings.learn_widths


def test_a_recipes_value_out_of_range_names_the_recipe(tmp_path, monkeypatch):
    name = _recipe(tmp_path, monkeypatch, "paths = 0\n")
    with pytest.raises(UserError, match=r"--paths must be from 1 to 100000, got 0 \(from recipe mine\)"):
        resolve({"preset": name})


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--channel", "-1"], "--channel must be 0 or more (channels start at 0), got -1"),
        (["--paths", "0"], "--paths must be from 1 to 100000, got 0"),
        (["--steps", "0"], "--steps must be from 1 to 1000000, got 0"),
        (["--batch", "0"], "--batch must be from 1 to 256, got 0"),
        (["--tile", "0"], "--tile must be from 1 to 32, got 0"),
        (["--size", "100000"], "--size must be from 32 to 16384, got 100000"),
        (["--segments", "0-3"], "--segments takes numbers from 1 to 16"),
        (["--crop-scale", "0.9-0.2"], "low end first"),
        (["--size", "16000", "--tile", "32"], "GiB (a 512000 px canvas"),
        (["--paths", "100000", "--tile", "32"], "102400000 strokes"),
        (
            ["--pens", "black-fineliner", "--drawing-size", "100m", "--page-size", "tight"],
            "a 100000 mm drawing in views of 200 mm needs 500 x 500 tiles",
        ),
        (["--drawing-size", "30cm"], "a 300.0 mm drawing is larger than the 180.0 mm the 297x210 mm page"),
        (["--drawing-size", "20cm"], "or --page-size tight (the page is the drawing)"),
        (["--page-size", "b17"], "--page-size takes a4, a3, letter, WxH (30x40cm) or tight, got 'b17'"),
        (["--margin", "-1cm"], "--margin must be 0 or more"),
        (["--checkpoint-every", "0"], "--checkpoint-every must be a positive number"),
        (["--scale", "0-1"], "--scale takes numbers from 0.1 to 10"),
        (["--views", "wild"], "--views takes perspective or lucent, got 'wild'"),
        (["--precision", "fp8"], "unknown precision 'fp8'; use one of auto, fp32, bf16"),
        (["--paths", "10", "--ink", "0.3"], "give both --paths and --ink"),
        (["--max-pens", "2"], "--max-pens needs pens to choose among; give --pens too"),
    ],
)
def test_out_of_range_is_one_line_naming_the_range(args, problem, tmp_path, runner):
    result = runner.invoke(app, ["excite", "--weights", "random", "-o", str(tmp_path / "d.svg"), *args])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and problem in lines[0], result.stderr


def test_channel_0_is_drawn_and_recorded(tmp_path, runner):
    out = tmp_path / "d.svg"
    args = [a if a != "2" else "0" for a in TINY_EXCITE]  # TINY_EXCITE draws channel 2
    result = runner.invoke(app, ["excite", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.with_suffix(".json").read_text())["settings"]["objective"] == "relu2_2:0"


def test_help_shows_ranges_defaults_and_plain_usage(runner):
    help_text = runner.invoke(app, ["excite", "--help"], env={"COLUMNS": "200"}).output
    assert "[from 1 to 100000; default: from --ink]" in help_text
    assert "[0 or more; default: 37]" in help_text and "--no-neuron" in help_text
    plot_help = runner.invoke(app, ["plot", "--help"], env={"COLUMNS": "200"}).output
    assert "plot [OPTIONS] SVG" in plot_help
    assert "<bool>" not in plot_help and "{svg}" not in plot_help


def test_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("plotkit ")


def test_every_option_has_its_own_flag():
    flags = [flag(f.name) for f in FIELDS]
    assert len(set(flags)) == len(flags)


def test_paths_and_ink_the_one_given_at_the_higher_level_wins(tmp_path, monkeypatch):
    assert resolve({}).ink == 0.3 and resolve({}).paths is None
    assert resolve({"paths": 120}).ink is None
    name = _recipe(tmp_path, monkeypatch, "paths = 150\n")
    assert resolve({"preset": name}).paths == 150 and resolve({"preset": name}).ink is None
    mine = resolve({"preset": name, "ink": 0.5})
    assert mine.ink == 0.5 and mine.paths is None  # typed over recipe
    _recipe(tmp_path, monkeypatch, "paths = 150\nink = 0.4\n")
    with pytest.raises(UserError, match="recipe mine sets both --paths and --ink"):
        resolve({"preset": name})


def test_the_view_size_chooses_the_tiles_and_the_pen_is_drawn_in_passes():
    run = planned({"weights": "random", "pens": "black-fineliner"}, 100.0)
    assert run.settings.tile == 1  # a 10 cm drawing is one 20 cm view: motifs as big as the drawing
    assert run.settings.finetune_steps == 0
    # the 0.3 mm pen is 0.67 px on 224 px for 100 mm: strokes stay 1.5 px (0.67 mm, three passes)
    assert run.settings.pen_widths == (1.5,)
    views = planned({"weights": "random", "pens": "black-fineliner", "view_size": "5cm"}, 100.0)
    assert views.settings.tile == 2 and views.settings.finetune_steps == views.settings.steps
    assert views.settings.pen_widths == (1.5,)  # 0.3 mm on 448 px for 100 mm: 1.34 px, still 1.5
    given = planned({"weights": "random", "pens": "black-fineliner", "tile": 3, "finetune_steps": 0}, 100.0)
    assert given.settings.tile == 3 and given.settings.finetune_steps == 0
    assert given.settings.pen_widths == (pytest.approx(0.3 * 3 * 224 / 100),)  # the pen: 2.0 px
    mono = planned({"weights": "random"}, 300.0)
    assert mono.settings.tile == 2 and mono.settings.finetune_steps == mono.settings.steps


@pytest.mark.parametrize(
    "view,problem",
    [
        ("0cm", "--view-size must be more than 0"),
        ("-5cm", "--view-size must be more than 0"),
        ("0.2mm", "--view-size 0.2 mm is no wider than the 0.3 mm pen"),
        ("nancm", "--view-size takes a length like 15cm"),
    ],
)
def test_a_view_size_that_cannot_work_is_refused(view, problem):
    with pytest.raises(UserError, match=re.escape(problem)):
        planned({"weights": "random", "pens": "black-fineliner", "view_size": view}, 100.0)


def test_a_view_larger_than_the_drawing_is_one_view_and_too_many_views_are_refused():
    assert planned({"weights": "random", "view_size": "1m"}, 100.0).settings.tile == 1
    assert tiles_for_view(6400.0, 200.0) == 32
    with pytest.raises(UserError, match=r"needs 33 x 33 tiles, more than 32 x 32; use a larger --view-size"):
        tiles_for_view(6401.0, 200.0)
    given = planned({"weights": "random", "pens": "black-fineliner", "tile": 2}, 6401.0)
    assert given.settings.tile == 2  # the user's --tile wins


def test_a_recipes_view_size_is_overridden(tmp_path, monkeypatch):
    name = _recipe(tmp_path, monkeypatch, 'view_size = "5cm"\n')
    assert resolve({"preset": name}).view_size == pytest.approx(50.0)
    assert resolve({"preset": name, "view_size": "1m"}).view_size == pytest.approx(1000.0)


def test_views_family_fills_what_was_not_given(tmp_path, monkeypatch):
    lucent = planned({"weights": "random", "views": "lucent"}, 150.0).settings.augment
    assert (lucent.pad, lucent.scale, lucent.rotate, lucent.perspective) == (12, (0.9, 1.1), 10.0, 0.0)
    mine = planned({"weights": "random", "views": "lucent", "pad": 0, "rotate": 0.0}, 150.0)
    assert (mine.settings.augment.pad, mine.settings.augment.rotate) == (0, 0.0)
    name = _recipe(tmp_path, monkeypatch, 'views = "lucent"\njitter = 3\n')
    assert resolve({"preset": name}).jitter == 3 and resolve({"preset": name}).pad == 12


@pytest.mark.parametrize(
    "rule",
    [
        "needs pens to choose among",
        "sets the colours from the pen set",
        "does not combine with pens",
        "each sets the number of strokes",
        "must be a positive number of seconds",
        "takes a number or a range like",
    ],
)
def test_each_rule_about_settings_is_stated_once(rule):
    root = Path(__file__).resolve().parents[2]
    sources = [p for folder in ("optim", "plotkit") for p in (root / folder).rglob("*.py")]
    assert sum(p.read_text(encoding="utf-8").count(rule) for p in sources) == 1
