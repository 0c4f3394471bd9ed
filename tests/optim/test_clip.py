"""Strokes cut at the canvas's edges: exact pieces of the same curves, nothing outside."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from optim.render import StrokeScene, render
from optim.render.clip import clip_to_canvas
from optim.render.flatten import polylines
from optim.strokes import random_scene


def _scene(paths: list[list[tuple[float, float]]], size: int = 40) -> StrokeScene:
    n = len(paths)
    return StrokeScene.from_paths(
        [torch.tensor(p) for p in paths], [2.0] * n, torch.rand(n, 3), [1.0] * n, size, size
    )


def test_inside_strokes_are_kept_as_they_are_and_outside_ones_dropped():
    inside = [(5.0, 5.0), (10.0, 30.0), (30.0, 30.0), (35.0, 5.0)]
    outside = [(-9.0, 5.0), (-20.0, 30.0), (-5.0, 50.0), (-1.0, 5.0)]
    scene = _scene([outside, inside])
    clipped, parents = clip_to_canvas(scene)
    assert parents.tolist() == [1]
    assert torch.equal(clipped.points, scene.path_points(1))
    assert torch.equal(clipped.colors, scene.colors[1:])


def test_a_stroke_leaving_and_coming_back_becomes_two_ending_on_the_edge():
    # a straight cubic from x 10 to x 30 bulging out over the top edge (y 0) and back
    scene = _scene([[(10.0, 10.0), (15.0, -20.0), (25.0, -20.0), (30.0, 10.0)]])
    clipped, parents = clip_to_canvas(scene)
    assert parents.tolist() == [0, 0] and clipped.segments.tolist() == [1, 1]
    first, second = clipped.path_points(0), clipped.path_points(1)
    assert torch.equal(first[0], torch.tensor([10.0, 10.0])) and torch.equal(
        second[-1], torch.tensor([30.0, 10.0])
    )
    assert abs(float(first[-1, 1])) < 1e-9 and abs(float(second[0, 1])) < 1e-9  # cut on the edge
    assert float(first[-1, 0]) < 20 < float(second[0, 0])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(1.0, 3.0))
def test_clipped_strokes_lie_on_the_canvas_and_draw_what_the_canvas_showed(seed, spread):
    size = 64
    scene = random_scene(
        30, size, size, segments=(1, 4), stroke_width=1.5, generator=torch.Generator().manual_seed(seed)
    )
    scene.points = (scene.points - size / 2) * spread + size / 2  # many strokes now run off the canvas
    clipped, parents = clip_to_canvas(scene)
    assert clipped.n_paths == len(parents) and torch.equal(clipped.widths, scene.widths[parents])
    if clipped.n_paths:
        points = torch.cat(polylines(clipped, 0.01))
        assert points.min() >= 0 and points.max() <= size
    # inside, the same ink (rendered finely: the same curves, flattened into other chords).
    # None is lost away from the edges, and none appears where there was none; where a
    # stroke cut in two crossed itself, the two parts darken each other, as a pen would. A pixel
    # beside a sharp corner may take a few percent of ink either way: the renderer takes a path's
    # nearest chord there, and the pieces are flattened into other chords (seed 19485079, spread
    # 1.515625: 0.965 where the whole stroke gave 0.9999).
    margin = 2
    with torch.no_grad():
        before, after = render(scene, tolerance=0.001), render(clipped, tolerance=0.001)
    inner = (slice(None), slice(margin, size - margin), slice(margin, size - margin))
    assert (after[inner] <= before[inner] + 0.02).all()
    assert (after[inner][before[inner] > 0.999] > 0.95).all()


def test_a_scene_of_no_strokes_flattens_to_no_polylines():
    empty = random_scene(3, 40, 40).subset(torch.zeros(3, dtype=torch.bool))
    assert polylines(empty, 0.1) == []
