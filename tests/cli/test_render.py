"""`plotkit render` end to end: a PNG out, or one line and exit code 2."""

import numpy as np
import pytest
from PIL import Image

from optim.render.svg import write_svg
from plotkit.cli.app import app
from tests.scenes import colourful_scene

SVG9 = '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">{}</svg>'


def test_render_writes_png_of_requested_size(tmp_path, runner):
    write_svg(colourful_scene(1, n=20, width=80, height=40), tmp_path / "d.svg")
    out = tmp_path / "d.png"
    result = runner.invoke(app, ["render", str(tmp_path / "d.svg"), "-o", str(out), "--size", "200"])
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert image.size == (200, 100)
    assert np.asarray(image).min() < 128  # strokes were drawn


def test_render_blend_modes_differ(tmp_path, runner):
    write_svg(colourful_scene(2, n=30, width=64, height=64), tmp_path / "d.svg")
    pngs = []
    for blend in ("multiply", "over"):
        out = tmp_path / f"{blend}.png"
        assert (
            runner.invoke(
                app, ["render", str(tmp_path / "d.svg"), "-o", str(out), "--blend", blend]
            ).exit_code
            == 0
        )
        pngs.append(np.asarray(Image.open(out), dtype=float))
    assert np.abs(pngs[0] - pngs[1]).mean() > 0.5


def test_default_renders_the_bundled_example(tmp_path, runner):
    out = tmp_path / "example.png"
    result = runner.invoke(app, ["render", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (400, 400)


@pytest.mark.parametrize(
    "content,args,problem",
    [
        (None, [], "no such file"),
        ("<svg", [], "not a readable SVG"),
        (SVG9.format(""), [], "no stroked paths"),
        (
            SVG9.format('<path d="M 1 1 L nan 2" stroke="red"/>'),
            [],
            "NaN",
        ),
        (
            SVG9.format('<path d="M 1 1 L 5 2" stroke="red"/>'),
            ["--size", "0"],
            "--size",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, runner, content, args, problem):
    svg = tmp_path / "in.svg"
    if content is not None:
        svg.write_text(content)
    out = tmp_path / "out.png"
    result = runner.invoke(app, ["render", str(svg), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
