"""Reading drawings to plot, `plotkit estimate` and `plotkit preview`."""

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plotkit.cli.app import app
from plotkit.plot import preview
from plotkit.plot.drawing import PenLayer, PlotDrawing, check_fits, read_drawing, turn
from plotkit.plot.schedule import estimate
from plotkit.plotter.motion import Limits, plan_path
from plotkit.presets import load_plotter
from plotkit.units import PX_PER_MM
from tests.drawings import write_layers

MM = PX_PER_MM


SQUARE = [(20, 20), (60, 20), (60, 60), (20, 60), (20, 20)]


def test_drawing_reads_layers_in_millimetres(tmp_path):
    svg = write_layers(
        tmp_path / "d.svg", [("#ff0000", 0.5, [SQUARE]), ("#0000ff", 0.3, [[(100, 100), (150, 120)]])]
    )
    drawing = read_drawing(svg)
    assert [layer.color for layer in drawing.layers] == ["#ff0000", "#0000ff"]
    assert drawing.layers[0].pen_width_mm == pytest.approx(0.5, rel=1e-4)  # vpype writes 4 decimals
    assert np.allclose(drawing.layers[0].strokes[0], SQUARE, atol=1e-3)
    assert drawing.page_mm == pytest.approx((200, 150))


def test_estimate_adds_travel_drawing_and_pen_moves(tmp_path, runner):
    svg = write_layers(tmp_path / "d.svg", [("#000000", 0.5, [SQUARE, [(100, 100), (150, 100)]])])
    plotter = load_plotter("axidraw-v3")
    e = estimate(read_drawing(svg), plotter)
    down = Limits(plotter.speed_pendown_mm_s, plotter.accel_pendown_mm_s2, plotter.cornering_mm)
    up = Limits(plotter.speed_penup_mm_s, plotter.accel_penup_mm_s2, plotter.cornering_mm)
    draw = (
        plan_path(np.array(SQUARE, float), down).seconds
        + plan_path(np.array([[100, 100], [150, 100]]), down).seconds
    )
    travel = sum(
        plan_path(np.array(p, float), up).seconds
        for p in ([(0, 0), (20, 20)], [(20, 20), (100, 100)], [(150, 100), (0, 0)])
    )
    assert e.lifts == 2 and e.layers == 1
    assert e.pen_down_mm == pytest.approx(160 + 50, rel=1e-4)
    assert e.drawing_seconds == pytest.approx(draw, rel=1e-4)
    assert e.seconds == pytest.approx(draw + travel + 2 * (plotter.pen_lift_s + plotter.pen_drop_s), rel=1e-4)
    result = runner.invoke(app, ["estimate", str(svg)])
    assert result.exit_code == 0 and "pen lifts" in result.output and "2" in result.output


def test_preview_draws_each_layer_in_its_colour_at_real_width(tmp_path, runner):
    svg = write_layers(
        tmp_path / "d.svg",
        [("#ff0000", 1.0, [[(20, 20), (180, 20)]]), ("#0000ff", 2.0, [[(20, 80), (180, 80)]])],
    )
    out = tmp_path / "p.png"
    result = runner.invoke(app, ["preview", str(svg), "-o", str(out), "--dpi", "254"])  # 10 px per mm
    assert result.exit_code == 0, result.output
    img = np.asarray(Image.open(out)).astype(float)
    assert img.shape[:2] == (1500, 2000)
    red_column, blue_column = img[150:250, 1000], img[750:850, 1000]
    assert ((red_column[:, 0] > 200) & (red_column[:, 1] < 60)).sum() == pytest.approx(
        10, abs=1
    )  # 1 mm = 10 px
    assert ((blue_column[:, 2] > 200) & (blue_column[:, 0] < 60)).sum() == pytest.approx(20, abs=1)


@pytest.mark.parametrize(
    "layers,args,problem",
    [
        (
            [("#000000", 0.5, [[(10, 10), (290, 200)]])],
            ["--plotter", "axidraw-mini"],
            "beyond the axidraw-mini travel",
        ),
        ([("#000000", 0.5, [[(10, 10), (250, 100)]])], [], "off its 200 x 150 mm page"),
        ([], [], "nothing to draw"),
        (None, [], "no such file"),
        ([("#000000", 0.5, [SQUARE])], ["--plotter", "axidraw-v9"], "unknown plotter preset"),
    ],
)
def test_estimate_refuses_bad_drawings_with_one_line(tmp_path, layers, args, problem, runner):
    svg = tmp_path / "d.svg"
    if layers is not None:
        write_layers(svg, layers)
    result = runner.invoke(app, ["estimate", str(svg), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr


# Issue 11, item 2: an A4 portrait page (vpype neuronexc's old default) on the AxiDraw V3,
# which takes A4 landscape.
PORTRAIT = [("#000000", 0.3, [[(20, 60), (190, 238.5)], [(30, 100), (150, 120)]]), ("#ff0000", 0.5, [SQUARE])]


def test_portrait_that_fits_turned_is_refused_with_rotate_and_the_vpype_command(tmp_path, runner):
    svg = write_layers(tmp_path / "drawing.svg", PORTRAIT, page=(210, 297))
    result = runner.invoke(app, ["estimate", str(svg)])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "beyond the axidraw-v3 travel of 300 x 218 mm" in line and "add --rotate" in line, line
    command = line.split("or turn the file: ")[1]
    assert command.startswith("vpype read ") and " pagerotate write " in command
    # the command it gives works, and turns the drawing exactly as --rotate does
    done = subprocess.run(
        [str(Path(sys.executable).with_name("vpype")), *shlex.split(command)[1:]],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    turned_file = read_drawing(tmp_path / "drawing-turned.svg")
    turned = turn(read_drawing(svg))
    assert turned.page_mm == pytest.approx(turned_file.page_mm, abs=1e-3) == (297, 210)
    for ours, theirs in zip(turned.layers, turned_file.layers, strict=True):
        for a, b in zip(ours.strokes, theirs.strokes, strict=True):
            assert np.allclose(a, b, atol=1e-3)
    rotated = runner.invoke(app, ["estimate", str(svg), "--rotate"])
    from_file = runner.invoke(app, ["estimate", str(tmp_path / "drawing-turned.svg")])
    assert rotated.exit_code == from_file.exit_code == 0, rotated.output + from_file.output
    assert rotated.stdout == from_file.stdout
    out = tmp_path / "p.png"
    result = runner.invoke(app, ["preview", str(svg), "--rotate", "-o", str(out), "--dpi", "25.4"])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (297, 210) and "a 297 x 210 mm page" in result.stdout


def test_a_drawing_too_large_either_way_is_not_told_to_turn(tmp_path, runner):
    svg = write_layers(tmp_path / "d.svg", [("#000000", 0.3, [[(10, 10), (280, 280)]])], page=(297, 297))
    for args in ([], ["--rotate"]):
        result = runner.invoke(app, ["estimate", str(svg), *args])
        (line,) = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and "scale it down" in line and "add --rotate" not in line, line
    assert "turned by --rotate" in line


def test_turn_keeps_a_pageless_drawing_inside_its_margins():
    layer = PenLayer(1, "a", "#000000", None, (np.array([[10.0, 20.0], [210.0, 30.0]]),))
    turned = turn(PlotDrawing((layer,), None))
    assert turned.page_mm is None
    assert np.allclose(turned.layers[0].strokes[0], [[20, 210], [30, 10]])  # y spans x's 10 to 210
    check_fits(turned, load_plotter("axidraw-v3"), turned=True)


# Issue 11, item 3: absurd sizes are refused before a pixel is allocated.
@pytest.mark.parametrize("side_mm", [50_000, 2_000])
def test_preview_of_an_absurd_size_is_one_line_naming_the_dpi_that_fits(
    tmp_path, runner, side_mm, monkeypatch
):
    svg = write_layers(
        tmp_path / "d.svg",
        [("#000000", 0.3, [[(10, 10), (side_mm - 10, side_mm / 2)]])],
        page=(side_mm, side_mm),
    )

    def no_allocation(*args, **kwargs):
        raise AssertionError("allocated an image")

    monkeypatch.setattr(preview.Image, "new", no_allocation)
    monkeypatch.setattr(preview.np, "ones", no_allocation)
    result = runner.invoke(app, ["preview", str(svg), "-o", str(tmp_path / "p.png")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert f"{side_mm} x {side_mm} mm page" in line and "50-megapixel limit" in line, line
    dpi = float(line.split("--dpi ")[1].split()[0])
    w, h = preview.preview_size(read_drawing(svg), dpi)
    assert (
        w * h <= preview.MAX_PIXELS and w * h > 0.9 * preview.MAX_PIXELS
    )  # the fix works, and is not far off
    assert not (tmp_path / "p.png").exists()
