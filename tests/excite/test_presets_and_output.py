"""Pen presets, and excite's SVG as vpype reads it: layers, colours, pen widths, size."""

import pytest
import torch
import vpype as vp

from plotkit.cli.app import app
from plotkit.excite.placement import pen_layers
from plotkit.presets import load_pen_set, preset_files
from plotkit.units import PX_PER_MM
from tests.scenes import TINY_EXCITE

ARGS = TINY_EXCITE


def test_bundled_pen_sets_load(runner):
    assert {"black-fineliner", "stabilo-point-88", "highlighter"} <= set(preset_files("pens"))
    assert len(load_pen_set("stabilo-point-88").pens) == 8
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0 and "stabilo-point-88" in result.output


def test_pens_drawing_reads_back_in_vpype_with_real_pen_widths(tmp_path, runner, monkeypatch):
    out = tmp_path / "d.svg"
    monkeypatch.setattr("optim.state.DARKEST_START", 0.0)  # four steps: several pens without the lean
    result = runner.invoke(
        app, ["excite", *ARGS, "--pens", "stabilo-point-88", "--drawing-size", "10cm", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = vp.read_multilayer_svg(str(out), quantization=0.05)
    assert doc.page_size == pytest.approx((297 * PX_PER_MM, 210 * PX_PER_MM))  # A4 landscape
    x0, y0, x1, y1 = doc.bounds()  # the 10 cm drawing, centred
    assert x0 >= 98.5 * PX_PER_MM - 1e-3 and x1 <= 198.5 * PX_PER_MM + 1e-3
    assert y0 >= 55 * PX_PER_MM - 1e-3 and y1 <= 155 * PX_PER_MM + 1e-3
    pens = {p.name: p for p in load_pen_set("stabilo-point-88").pens}
    assert len(doc.layers) >= 2
    for layer in doc.layers.values():
        pen = pens[layer.property("vp_name")]
        assert layer.property("vp_pen_width") == pytest.approx(
            pen.width_mm * PX_PER_MM, rel=1e-4
        )  # as vpype writes it
        assert str(layer.property("vp_color")) == pen.color
    # strokes are cut at the canvas's edges: the drawing goes to the plotter as it is
    estimate = runner.invoke(app, ["estimate", str(out)])
    assert estimate.exit_code == 0, estimate.output


def test_user_presets_come_first_and_bad_ones_say_where(tmp_path, monkeypatch, runner):
    (tmp_path / "pens").mkdir()
    (tmp_path / "pens" / "mine.toml").write_text(
        '[[pen]]\nname = "teal"\ncolor = "#008080"\nwidth_mm = 0.5\n'
    )
    (tmp_path / "pens" / "broken.toml").write_text(
        '[[pen]]\nname = "x"\ncolour = "#008080"\nwidth_mm = 0.5\n'
    )
    monkeypatch.setenv("PLOTKIT_PRESETS", str(tmp_path))
    assert load_pen_set("mine").pens[0].width_mm == 0.5
    result = runner.invoke(app, ["excite", *ARGS, "--pens", "broken", "-o", str(tmp_path / "d.svg")])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "broken.toml" in line and "'colour'" in line and len(line.splitlines()) == 1


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--pens", "nope"], "unknown pen preset 'nope'"),
        (["--pens", "black-fineliner", "--colors", "free"], "leave out --colors"),
        (["--drawing-size", "big"], "--drawing-size"),
        (["--pens", "black-fineliner", "--learn-widths"], "--learn-widths"),
    ],
)
def test_bad_pen_options_exit_2_with_one_line(tmp_path, args, problem, runner):
    result = runner.invoke(app, ["excite", *ARGS, *args, "-o", str(tmp_path / "d.svg")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr


def test_bundled_plotters_and_recipes_load():
    from plotkit.excite.options import KINDS
    from plotkit.presets import load_plotter, load_recipe

    assert {"axidraw-v3", "axidraw-v3-a3", "axidraw-se-a3", "axidraw-mini"} <= set(preset_files("plotters"))
    v3 = load_plotter("axidraw-v3")
    assert (v3.travel_x_mm, v3.travel_y_mm) == (300, 218)
    assert load_plotter("axidraw-mini").travel_y_mm == 101.6
    for name in preset_files("recipes"):
        assert load_recipe(name, KINDS)
    assert "tile" not in load_recipe("frame-tiled", KINDS)  # tiled as its pen needs
    assert load_recipe("showcase-conv3_3-37", KINDS)["tile"] == 1  # the write-up's, as it was


@pytest.mark.parametrize(
    "kind,name,text,problem",
    [
        ("recipes", "bad", 'model = "vgg16"\nchanel = 3\n', "key 'chanel' is not an option"),
        ("recipes", "bad", "steps = 1.5\n", "key 'steps' must be int"),
        (
            "pens",
            "bad",
            '[[pen]]\nname = "a"\ncolor = "#000000"\nwidth_mm = 0.3\n'
            '[[pen]]\nname = "a"\ncolor = "#ff0000"\nwidth_mm = 0.3\n',
            "pen 2 name repeats 'a'",
        ),
    ],
)
def test_malformed_presets_give_one_line_naming_file_and_key(
    tmp_path, monkeypatch, kind, name, text, problem, runner
):
    (tmp_path / kind).mkdir()
    (tmp_path / kind / f"{name}.toml").write_text(text)
    monkeypatch.setenv("PLOTKIT_PRESETS", str(tmp_path))
    option = "--preset" if kind == "recipes" else "--pens"
    result = runner.invoke(app, ["excite", *ARGS, option, name, "-o", str(tmp_path / "d.svg")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{name}.toml" in lines[0] and problem in lines[0], result.stderr


def test_a_drawing_without_strokes_has_no_pen_layers_whatever_its_pens():
    pens = load_pen_set("stabilo-point-88")
    assert pen_layers(0, None, None) == [] and pen_layers(0, torch.zeros(0, dtype=torch.long), pens) == []
    assert pen_layers(2, None, None, free=True) == [("free colours", [0, 1])]
    assert pen_layers(3, torch.tensor([2, 0, 2]), pens) == [
        (pens.pens[0].name, [1]),
        (pens.pens[2].name, [0, 2]),
    ]
