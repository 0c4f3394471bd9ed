"""Scenes to SVG and back, and reading SVGs written by other tools."""

import pytest
import torch

from optim.render import render
from optim.render.svg import SvgError, read_svg, write_svg
from tests.scenes import colourful_scene


def test_round_trip_gives_the_same_tensors(tmp_path):
    scene = colourful_scene(4, n=30, width=120, height=90)
    write_svg(scene, tmp_path / "s.svg")
    back = read_svg(tmp_path / "s.svg")
    assert (back.width, back.height) == (120, 90)
    assert torch.equal(back.segments, scene.segments)
    assert torch.equal(back.points, scene.points)  # 9 significant digits: exact for float32
    assert torch.equal(back.widths, scene.widths)
    assert torch.equal(back.opacities, scene.opacities)
    assert torch.allclose(back.colors, scene.colors, atol=0.5 / 255)  # SVG colours are 8-bit


def test_lines_quadratics_arcs_and_transforms_become_cubics(tmp_path):
    svg = tmp_path / "mixed.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 200 100">'
        '<g transform="translate(10 0)">'
        '<path d="M 0 10 L 40 10 Q 60 10 60 30 A 20 20 0 0 1 100 30 M 120 80 L 180 80" '
        'stroke="#ff0000" stroke-width="4" fill="none"/></g>'
        '<polyline points="10,90 30,70 50,90" stroke="blue" fill="none" stroke-opacity="0.5"/>'
        '<rect x="0" y="0" width="5" height="5" fill="green"/>'
        "</svg>"
    )
    scene = read_svg(svg)
    assert (scene.width, scene.height) == (100, 50)
    assert scene.n_paths == 3  # two subpaths, one polyline; the unstroked rect is not drawn
    first = scene.path_points(0)
    assert torch.allclose(first[0], torch.tensor([5.0, 5.0]))  # translate, then viewBox scale 0.5
    assert scene.widths[0] == pytest.approx(2.0)
    assert torch.allclose(scene.colors[0], torch.tensor([1.0, 0.0, 0.0]))
    assert scene.opacities[2] == pytest.approx(0.5)
    # the arc's end and the straight line's middle are on the curve
    assert torch.allclose(first[-1], torch.tensor([55.0, 15.0]), atol=1e-4)
    line = scene.path_points(0)[:4]
    assert torch.allclose(line[1], torch.tensor([5 + 20 / 3, 5.0]), atol=1e-5)
    assert render(scene).min() < 0.5


@pytest.mark.parametrize(
    "text,problem",
    [
        ("not an svg at all", "not a readable SVG"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            '<rect width="5" height="5"/></svg>',
            "no stroked paths",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            '<path d="M 0 0 L nan 5" stroke="black"/></svg>',
            "NaN",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="10">'
            '<path d="M 0 0 L 5 5" stroke="black"/></svg>',
            "zero size",
        ),
    ],
)
def test_bad_svgs_are_refused_with_the_reason(tmp_path, text, problem):
    path = tmp_path / "bad.svg"
    path.write_text(text)
    with pytest.raises(SvgError, match=problem):
        read_svg(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(SvgError, match="no such file"):
        read_svg(tmp_path / "nope.svg")
