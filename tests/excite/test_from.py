"""``--from DIR/chK.json``: a gallery study continued at full size, by plotkit and vpype."""

from __future__ import annotations

import json

import numpy as np
import pytest
import vpype_cli

from plotkit.cli.app import app
from plotkit.excite.gallery import run_gallery
from plotkit.excite.request import request
from plotkit.plot.drawing import read_drawing
from plotkit.plot.schedule import estimate
from plotkit.presets import load_plotter

STUDY = dict(weights="random", layer="relu2_2", size=96, input_size=96, batch=1, steps=6)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """ch2.json of a two-channel gallery."""
    out = tmp_path_factory.mktemp("gallery")
    run_gallery(request(STUDY), [2, 3], out, 150.0, batch_channels=2)
    return out / "ch2.json"


def test_excite_from_a_study_keeps_its_strokes_and_draws_them_in_passes(study, tmp_path, runner):
    out = tmp_path / "framed.svg"
    args = ["excite", "--from", str(study), "--pens", "black-fineliner", "--drawing-size", "20cm"]
    args += ["--page-size", "tight"]  # 20 cm does not fit A4 inside its margins
    result = runner.invoke(app, [*args, "--quiet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "plots in" in result.stdout  # the cost of boldness, said at once
    meta, before = json.loads(out.with_suffix(".json").read_text()), json.loads(study.read_text())
    s = meta["settings"]
    assert s["objective"] == "relu2_2:2" and s["model"] == before["settings"]["model"]
    assert s["start"] == str(study) and (s["tile"], s["finetune_steps"]) == (1, 0)  # the study, as it is
    assert meta["strokes"] == before["strokes"] and s["pen_widths"] == [1.5]  # same strokes, same weight
    framed = read_drawing(out)
    (layer,) = framed.layers
    assert layer.pen_width_mm == pytest.approx(0.3, rel=1e-4)  # the pen's real width: the stroke is in passes
    # 1.5 px of a 96 px canvas on 200 mm is 3.1 mm: eleven passes of 0.3 mm, joined back and forth
    pen_down = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in layer.strokes)
    study_strokes = read_drawing(study.with_name(before["svg"])).layers[0].strokes
    study_length = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in study_strokes) * 200 / 150
    assert 8 * study_length < pen_down < 14 * study_length
    # eleven passes a stroke, in a few pen-down paths: tight curves split the back and forth
    assert len(layer.strokes) <= meta["strokes"] * 5
    assert meta["plot"]["pen_down_m"] == pytest.approx(pen_down / 1000, rel=0.02)
    # the cost the sidecar gives (priced before the file is read back) is the file's, as
    # plotkit estimate says
    said = estimate(framed, load_plotter("axidraw-v3"))
    assert meta["plot"]["seconds"] == pytest.approx(said.seconds, abs=0.06)
    assert meta["plot"]["lifts"] == said.lifts
    assert meta["plot"]["pen_down_m"] == round(said.pen_down_mm / 1000, 3)


def test_excite_from_a_study_with_tiles_repeats_and_fine_tunes_it(study, tmp_path, runner):
    out = tmp_path / "big.svg"
    args = ["excite", "--from", str(study), "--pens", "black-fineliner", "--drawing-size", "10cm"]
    result = runner.invoke(app, [*args, "--tile", "3", "--finetune-steps", "2", "--quiet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    meta, before = json.loads(out.with_suffix(".json").read_text()), json.loads(study.read_text())
    assert (meta["settings"]["tile"], meta["settings"]["finetune_steps"]) == (3, 2)
    # the study's strokes, 9 times; a few moved over the canvas's edge are cut there
    assert meta["strokes"] == pytest.approx(before["strokes"] * 9, rel=0.05)
    assert meta["pens"] == "black-fineliner"


def test_given_options_win_over_the_study(study, tmp_path, runner):
    out = tmp_path / "same.svg"
    args = ["excite", "--from", str(study), "--tile", "1", "--finetune-steps", "1", "--lr", "0.5"]
    result = runner.invoke(app, [*args, "--quiet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    meta, before = json.loads(out.with_suffix(".json").read_text()), json.loads(study.read_text())
    s = meta["settings"]
    assert (s["tile"], s["finetune_steps"], s["lr"]) == (1, 1, 0.5)
    # the run starts from the study's drawing (read back from its SVG), not from fresh strokes:
    # its first activation is the study's last, far from where fresh strokes start
    start, study_start, study_end = (
        meta["initial_activation"],
        before["initial_activation"],
        before["final_activation"],
    )
    assert start == pytest.approx(study_end, rel=1e-2)
    assert abs(start - study_end) < 0.05 * abs(study_end - study_start)


def test_vpype_neuronexc_from_a_study(study, tmp_path):
    out = tmp_path / "framed.svg"
    doc = vpype_cli.execute(
        f"neuronexc --from {study} --pens black-fineliner --width 6cm --finetune-steps 2 --quiet write {out}"
    )
    assert len(doc.layers) == 1 and doc.length() > 0 and out.exists()


@pytest.mark.parametrize(
    "make,problem",
    [
        (lambda d: d / "missing.json", "no such file; give the .json beside a drawing"),
        (lambda d: (d / "x.json").write_text("{}") and d / "x.json", "is not a drawing's sidecar"),
        (lambda d: (d / "y.json").write_text("not json") and d / "y.json", "is not a drawing's sidecar"),
    ],
)
def test_a_bad_from_is_one_line_exit_2(make, problem, tmp_path, runner):
    path = make(tmp_path)
    result = runner.invoke(app, ["excite", "--from", str(path), "--quiet", "-o", str(tmp_path / "o.svg")])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and problem in lines[0], result.stderr


def test_a_study_whose_drawing_is_gone_names_it(study, tmp_path, runner):
    moved = tmp_path / "ch2.json"
    moved.write_text(study.read_text())  # the sidecar without its SVG
    result = runner.invoke(app, ["excite", "--from", str(moved), "--quiet", "-o", str(tmp_path / "o.svg")])
    assert result.exit_code == 2 and "cannot read its drawing" in result.stderr
    assert "ch2.strokes.svg" in result.stderr
