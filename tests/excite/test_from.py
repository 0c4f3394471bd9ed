"""``--from DIR/chK.json``: a gallery study continued at full size, by plotkit and vpype."""

from __future__ import annotations

import json

import pytest
import vpype_cli

from plotkit.cli.app import app
from plotkit.excite.gallery import run_gallery
from plotkit.excite.request import request

STUDY = dict(weights="random", layer="relu2_2", size=96, input_size=96, batch=1, steps=6)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """ch2.json of a two-channel gallery."""
    out = tmp_path_factory.mktemp("gallery")
    run_gallery(request(STUDY), [2, 3], out, 150.0, batch_channels=2)
    return out / "ch2.json"


def test_excite_from_a_study_tiles_and_fine_tunes_it_with_its_settings(study, tmp_path, runner):
    out = tmp_path / "big.svg"
    args = ["excite", "--from", str(study), "--pens", "black-fineliner", "--drawing-size", "10cm"]
    result = runner.invoke(app, [*args, "--finetune-steps", "3", "--quiet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    meta, before = json.loads(out.with_suffix(".json").read_text()), json.loads(study.read_text())
    s = meta["settings"]
    assert s["objective"] == "relu2_2:2" and s["model"] == before["settings"]["model"]
    assert s["start"] == str(study) and s["finetune_steps"] == 3
    assert s["tile"] == 6  # 0.3 mm on 100 mm needs 500 px: six 96 px tiles
    # the study's strokes, 36 times; a few moved over the canvas's edge are cut there
    assert meta["strokes"] == pytest.approx(before["strokes"] * 36, rel=0.02)
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
    assert result.exit_code == 2 and "cannot read its drawing" in result.stderr and "ch2.svg" in result.stderr
