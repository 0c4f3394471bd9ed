"""Hypothesis: any scene renders to finite values in [0, 1] with finite gradients."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from optim.render import StrokeScene, render


@st.composite
def scenes(draw) -> StrokeScene:
    width = draw(st.integers(1, 40))
    height = draw(st.integers(1, 40))
    n = draw(st.integers(0, 5))
    # Coarse coordinates make coincident points and zero-length segments likely.
    coord = st.integers(-20, 60).map(lambda v: v / 2)
    paths = []
    for _ in range(n):
        k = draw(st.integers(1, 3))
        paths.append(
            torch.tensor(draw(st.lists(st.tuples(coord, coord), min_size=3 * k + 1, max_size=3 * k + 1)))
        )
    unit = st.floats(0, 1)
    return StrokeScene.from_paths(
        paths,
        draw(st.lists(st.floats(0.05, 12), min_size=n, max_size=n)),
        draw(st.lists(st.tuples(unit, unit, unit), min_size=n, max_size=n)) if n else torch.zeros(0, 3),
        draw(st.lists(unit, min_size=n, max_size=n)),
        width,
        height,
    )


@settings(max_examples=60, deadline=None)
@given(scenes(), st.sampled_from(["multiply", "over"]), st.sampled_from([None, 2, 4, 8]))
def test_render_is_bounded_finite_and_differentiable(scene, blend, tile):
    for name in ("points", "widths", "colors", "opacities"):
        getattr(scene, name).requires_grad_(True)
    image = render(scene, blend=blend, tile=tile)
    assert image.shape == (3, scene.height, scene.width)
    assert torch.isfinite(image).all()
    assert image.min() >= 0 and image.max() <= 1
    if not image.requires_grad:  # nothing reached the canvas
        assert torch.equal(image, torch.ones_like(image))
        return
    (image * torch.linspace(0, 1, image.numel()).view_as(image)).sum().backward()
    for name in ("points", "widths", "colors", "opacities"):
        assert torch.isfinite(getattr(scene, name).grad).all(), name
