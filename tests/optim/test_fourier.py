"""The Fourier-parameterised reference image: valid pixels, 1/f statistics, and it learns."""

from __future__ import annotations

import torch

from optim.fourier import FourierImage


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
