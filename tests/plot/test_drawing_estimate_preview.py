"""Reading drawings to plot, `plotkit estimate` and `plotkit preview`."""

import numpy as np
import pytest
from PIL import Image

from plotkit.cli.app import app
from plotkit.plot.drawing import read_drawing
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
