"""Tiled culling, windows and blending rules against the dense reference."""

import pytest
import torch

from optim.render import StrokeScene, render
from optim.strokes import random_scene
from tests.scenes import colourful_scene, dense_render


@pytest.mark.parametrize("blend", ["multiply", "over"])
@pytest.mark.parametrize("tile", [None, 2, 4, 8, 16])
def test_tiled_render_equals_dense_reference(blend, tile):
    scene = colourful_scene(3, n=30, width=70, height=53)
    fast = render(scene, blend=blend, tile=tile, background=(0.9, 1.0, 0.95))
    slow = dense_render(scene, blend=blend, tile=tile, background=(0.9, 1.0, 0.95))
    assert fast.shape == (3, 53, 70)
    assert torch.allclose(fast, slow, atol=2e-5)


@pytest.mark.parametrize("blend", ["multiply", "over"])
@pytest.mark.parametrize("window", [(0, 0, 40, 30), (17, 9, 33, 41), (60, 50, 36, 30), (-5, -3, 20, 20)])
def test_window_equals_crop_of_full_render(blend, window):
    scene = colourful_scene(5, n=50, width=96, height=80)
    x0, y0, w, h = window
    big = render(scene, blend=blend, window=(-8, -8, 112, 96))
    part = render(scene, blend=blend, window=window)
    assert part.shape == (3, h, w)
    assert torch.allclose(part, big[:, y0 + 8 : y0 + 8 + h, x0 + 8 : x0 + 8 + w], atol=1e-6)


def test_window_gradient_reaches_only_strokes_inside():
    scene = random_scene(100, 512, 512, generator=torch.Generator().manual_seed(0), stroke_width=3.0)
    scene.points.requires_grad_(True)
    render(scene, window=(0, 0, 64, 64)).sum().backward()
    moved = scene.points.grad.abs().sum(1) > 0
    assert moved.any()
    assert (scene.points.detach()[moved] < 64 + 0.1 * 512 * 3 + 3).all()


def test_stroke_does_not_darken_where_it_overlaps_itself():
    there_and_back = torch.tensor(
        [[10.0, 20.0], [20.0, 20.0], [30.0, 20.0], [50.0, 20.0], [30.0, 20.0], [20.0, 20.0], [12.0, 20.0]]
    )
    once = torch.tensor([[10.0, 20.0], [20.0, 20.0], [30.0, 20.0], [50.0, 20.0]])
    for blend in ("multiply", "over"):
        images = [
            render(StrokeScene.from_paths([p], [4.0], [[0.2, 0.3, 0.9]], [0.5], 64, 40), blend=blend)
            for p in (there_and_back, once)
        ]
        # Painting twice at opacity 0.5 would differ by ~0.25; what remains is the
        # anti-aliasing estimate of the inner end cap against the exact body edge.
        assert (images[0] - images[1]).abs().max() < 5e-3
        assert images[0].min() < 0.9  # it did paint


def test_multiply_is_order_independent_and_over_is_not():
    scene = colourful_scene(2, n=25, width=64, height=64)
    flipped = StrokeScene.from_paths(
        [scene.path_points(i) for i in reversed(range(scene.n_paths))],
        scene.widths.flip(0),
        scene.colors.flip(0),
        scene.opacities.flip(0),
        64,
        64,
    )
    assert torch.allclose(render(scene), render(flipped), atol=1e-6)
    assert not torch.allclose(render(scene, blend="over"), render(flipped, blend="over"), atol=1e-3)


def test_empty_scene_and_strokes_off_canvas_give_background():
    empty = StrokeScene.from_paths([], [], torch.zeros(0, 3), [], 20, 10)
    assert torch.equal(render(empty, background=(0.5, 0.5, 0.5)), torch.full((3, 10, 20), 0.5))
    away = StrokeScene.from_paths(
        [torch.tensor([[100.0, 100], [110, 100], [120, 110], [130, 130]])], [2.0], [[0, 0, 0]], [1.0], 20, 10
    )
    assert torch.equal(render(away), torch.ones(3, 10, 20))
