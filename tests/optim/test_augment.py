"""The one-resampling augmentation against the steps it replaces: jitter by padding and
slicing, torchvision's perspective, then torchvision's resized crop, each on its own."""

from __future__ import annotations

import pytest
import torch
import torchvision.transforms.v2 as T
import torchvision.transforms.v2.functional as F

from optim.augment import Augment, resample, view_to_drawing
from optim.render import render
from optim.strokes import random_scene


def _separate_steps(image, size, shift, start, end, crop):
    """The views as the earlier, step-by-step pipeline made them (white fill)."""
    view = image[None]
    h, w = view.shape[-2:]
    j = max(abs(shift[0]), abs(shift[1]))
    if j:
        padded = torch.nn.functional.pad(view, [j] * 4, value=1.0)
        view = padded[..., j + shift[1] : j + shift[1] + h, j + shift[0] : j + shift[0] + w]
    if start is not None:
        view = F.perspective(view - 1, start, end, interpolation=T.InterpolationMode.BILINEAR) + 1
    top, left, height, width = crop
    return F.resized_crop(view, top, left, height, width, [size, size], antialias=True)[0]


def _dot_centres(image: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Centre of mass of each of the four quadrants' ink (x, y), in pixels."""
    ink = (1 - image.mean(0)).clamp(min=0)
    ink = ink * (ink > threshold * ink.max())
    h, w = ink.shape
    centres = []
    for ys, xs in (
        (slice(0, h // 2), slice(0, w // 2)),
        (slice(0, h // 2), slice(w // 2, w)),
        (slice(h // 2, h), slice(0, w // 2)),
        (slice(h // 2, h), slice(w // 2, w)),
    ):
        part = ink[ys, xs]
        yy, xx = torch.meshgrid(
            torch.arange(h, dtype=torch.float32)[ys], torch.arange(w, dtype=torch.float32)[xs], indexing="ij"
        )
        centres.append(torch.stack([(part * xx).sum() / part.sum(), (part * yy).sum() / part.sum()]))
    return torch.stack(centres)


@pytest.mark.parametrize("seed", range(6))
def test_one_homography_maps_points_where_the_separate_steps_did(seed):
    torch.manual_seed(seed)
    size, side = 96, 128
    image = torch.ones(3, side, side)
    for x, y in ((40, 40), (88, 40), (40, 88), (88, 88)):  # one dot a quadrant, near the middle
        image[:, y - 3 : y + 3, x - 3 : x + 3] = 0
    shift = tuple(int(v) for v in torch.randint(-6, 7, (2,)))
    start, end = T.RandomPerspective.get_params(side, side, 0.3) if seed % 3 else (None, None)
    crop = T.RandomResizedCrop.get_params(image, [0.7, 0.9], [3 / 4, 4 / 3])
    want = _separate_steps(image, size, shift, start, end, crop)
    got = resample(image, view_to_drawing(size, shift, start, end, crop)[None], size)[0]
    assert torch.allclose(_dot_centres(got), _dot_centres(want), atol=1.0)
    assert (got - want).abs().mean() < 0.02  # and the pictures agree overall, white border included


def test_views_are_white_outside_and_gradients_reach_the_drawing():
    torch.manual_seed(0)
    image = torch.full((3, 64, 64), 0.5, requires_grad=True)
    views = Augment(batch=3, size=48, perspective=0.5, jitter=8)(image)
    assert views.shape == (3, 3, 48, 48)
    assert views.max() <= 1 + 1e-6 and torch.isclose(views.max(), torch.tensor(1.0))  # white fill
    views.mean().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def test_a_large_drawing_is_shrunk_once_before_sampling():
    torch.manual_seed(1)
    stripes = torch.ones(3, 1000, 1000)
    stripes[:, :, ::2] = 0  # one-pixel stripes: grey once averaged, aliasing if point-sampled
    views = Augment(batch=2, size=64, perspective=0.0, jitter=0)(stripes)
    assert (views - 0.5).abs().max() < 0.15


@pytest.mark.parametrize("zoom,degrees,pad", [(1.0, 10.0, 12), (1.1, -7.0, 0), (0.9, 4.0, 6)])
def test_pad_zoom_and_turn_map_points_as_torchvision_does(zoom, degrees, pad):
    size, side = 96, 128
    image = torch.ones(3, side, side)
    for x, y in ((40, 40), (88, 40), (40, 88), (88, 88)):
        image[:, y - 3 : y + 3, x - 3 : x + 3] = 0
    padded = torch.nn.functional.pad(image[None], [pad] * 4, value=1.0)
    turned = F.affine(padded - 1, angle=degrees, translate=[0, 0], scale=zoom, shear=[0.0]) + 1
    want = F.resize(turned, [size, size], antialias=True)[0]
    full = side + 2 * pad
    maps = view_to_drawing(size, (0, 0), None, None, (0, 0, full, full), (zoom, degrees), (full, full), pad)
    got = resample(image, maps[None], size)[0]
    assert torch.allclose(_dot_centres(got), _dot_centres(want), atol=1.0)


@pytest.mark.parametrize("window", [(0, 0), (300, 140)])
def test_a_drawing_rendered_at_the_views_resolution_gives_the_views_of_the_full_render(window):
    """A 500 px canvas (or window of a larger one) seen through 224 px views is rendered
    at 268 px: the views must be those of the full render, within its filtering."""
    side, x0, y0 = 500, *window
    scene = random_scene(120, 900, 900, stroke_width=3.0, generator=torch.Generator().manual_seed(2))
    augment = Augment(batch=3, size=224, crop_scale=(0.7, 0.9), pad=12, rotate=10.0)
    pixels = augment.resolution(side)
    assert pixels == 268 and augment.resolution(200) == 200  # never finer than the drawing
    torch.manual_seed(5)
    full = augment(render(scene, window=(x0, y0, side, side)))
    torch.manual_seed(5)
    small = augment(render(scene.framed(x0, y0, side, pixels)), drawing=side)
    assert small.shape == full.shape
    assert (small - full).abs().mean() < 0.01
    assert torch.allclose(_dot_centres(small[0]), _dot_centres(full[0]), atol=1.0)
