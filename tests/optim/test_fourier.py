"""The pixel references: valid pixels, 1/f statistics, the ink share held, and they learn."""

from __future__ import annotations

import pytest
import torch

from optim.fourier import FourierImage, InkImage


def test_image_is_valid_and_starts_near_grey():
    with torch.no_grad():
        image = FourierImage(64, generator=torch.Generator().manual_seed(0))()
    assert image.shape == (3, 64, 64)
    assert 0 <= float(image.min()) and float(image.max()) <= 1
    assert (image - 0.5).abs().max() < 0.1


def test_low_frequencies_carry_more_energy_than_high_ones():
    torch.manual_seed(0)
    with torch.no_grad():
        image = FourierImage(128, sd=1.0)().mean(0) - 0.5
    power = torch.fft.rfft2(image).abs()
    assert power[1:4, 1:4].mean() > 5 * power[40:60, 40:60].mean()


def test_adam_on_the_spectrum_raises_a_target():
    param = FourierImage(32, generator=torch.Generator().manual_seed(1))
    adam = torch.optim.Adam(param.parameters(), lr=0.05)
    red = lambda: param()[0].mean() - param()[1:].mean()  # noqa: E731
    before = float(red().detach())
    for _ in range(60):
        adam.zero_grad()
        (-red()).backward()
        adam.step()
    assert float(red().detach()) > before + 0.1


@pytest.mark.parametrize("ink", [0.05, 0.3, 0.9])
@pytest.mark.parametrize("progress", [0.0, 0.5, 1.0])
def test_ink_image_inks_its_share_in_black_on_white(ink, progress):
    image = InkImage(48, ink, sd=0.5, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        soft, hard = image(progress), image.hard()
    for picture in (soft, hard):
        assert picture.shape == (3, 48, 48)
        assert torch.equal(picture[0], picture[1]) and torch.equal(picture[0], picture[2])
        assert 0 <= float(picture.min()) and float(picture.max()) <= 1
        assert float(1 - picture.mean()) == pytest.approx(ink, abs=1.5 / 48**2 + 1e-4)
    assert set(hard.unique().tolist()) == {0.0, 1.0}


def test_ink_image_sharpens_to_ink_or_paper():
    image = InkImage(48, 0.3, sd=0.5, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        grey = [float(((image(p) > 0.05) & (image(p) < 0.95)).float().mean()) for p in (0.0, 1.0)]
    assert grey[1] < grey[0] / 2


@pytest.mark.parametrize("ink", [0.0, 1.0, -0.2, 1.5])
def test_ink_image_refuses_a_share_outside_0_to_1(ink):
    with pytest.raises(ValueError, match="ink must be a share"):
        InkImage(16, ink)


def test_adam_moves_the_ink_where_the_objective_wants_it():
    """The budget holds, so ink wanted on the left leaves the right."""
    image = InkImage(32, 0.25, generator=torch.Generator().manual_seed(4))
    adam = torch.optim.Adam(image.parameters(), lr=0.05)
    steps = 80
    for step in range(steps):
        adam.zero_grad()
        image(step / steps)[:, :, :16].mean().backward()  # paper on the left is bad
        adam.step()
    with torch.no_grad():
        hard = image.hard()
    left, right = float(1 - hard[0, :, :16].mean()), float(1 - hard[0, :, 16:].mean())
    assert left > 0.45 and right < 0.05


def test_ink_image_in_pens_colours_inks_each_pixel_with_one_pen():
    palette = torch.tensor([[0.1, 0.1, 0.1], [0.9, 0.1, 0.2], [0.1, 0.4, 0.8]])
    image = InkImage(40, 0.3, palette, sd=0.5, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        soft, hard = image(0.5), image.hard()
    assert soft.shape == hard.shape == (3, 40, 40)
    assert 0 <= float(soft.min()) and float(soft.max()) <= 1
    pixels = hard.permute(1, 2, 0).reshape(-1, 3)
    paper = (pixels == 1).all(1)
    assert float(1 - paper.float().mean()) == pytest.approx(0.3, abs=1.5 / 40**2)
    pens_of_inked = torch.cdist(pixels[~paper], palette).min(1).values
    assert float(pens_of_inked.max()) < 1e-6


def test_adam_chooses_the_pen_the_objective_wants():
    palette = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])  # black, red
    image = InkImage(32, 0.4, palette, generator=torch.Generator().manual_seed(6))
    adam = torch.optim.Adam(image.parameters(), lr=0.05)
    steps = 60
    for step in range(steps):
        adam.zero_grad()
        picture = image(step / steps)
        (picture[1:] - picture[0]).mean().backward()  # wants red: R high, G and B low
        adam.step()
    with torch.no_grad():
        hard = image.hard()
    inked = (hard < 1).any(0)
    red = (hard[0] == 1) & inked
    assert float(red.float().sum() / inked.float().sum()) > 0.9
