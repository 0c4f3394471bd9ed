"""The unconstrained reference: a free image in the parameterisation feature visualisation
uses (Olah et al., "Feature Visualization", 2017; lucid's and lucent's
``param.image(fft=True, decorrelate=True)``).

The image is a spectrum whose coefficients are scaled by 1 / frequency, so that Adam's
steps are even across scales, and whose colours are mixed by the square root of ImageNet's
colour correlation, then squashed into [0, 1] by a sigmoid. What it reaches is the
activation strokes are measured against.
"""

from __future__ import annotations

import torch
from torch import nn

# Square root of ImageNet's RGB colour correlation (lucid's published constants), scaled so
# that its largest column has norm 1.
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_MIX = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()
SPECTRUM_SCALE_DOWN = 4.0  # lucid's constant: the ortho irfft of the initial spectrum is too saturated


class FourierImage(nn.Module):
    """A (3, size, size) image in [0, 1], parameterised by a decorrelated, 1/f-scaled spectrum."""

    def __init__(self, size: int, sd: float = 0.01, decay_power: float = 1.0, generator=None):
        super().__init__()
        fy = torch.fft.fftfreq(size)[:, None]
        fx = torch.fft.rfftfreq(size)[None, :]
        freqs = (fx * fx + fy * fy).sqrt()
        self.size = size
        self.register_buffer("scale", 1.0 / freqs.clamp(min=1.0 / size) ** decay_power)
        self.spectrum = nn.Parameter(torch.randn(3, *freqs.shape, 2, generator=generator) * sd)

    def forward(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        image = torch.fft.irfft2(spectrum, s=(self.size, self.size), norm="ortho") / SPECTRUM_SCALE_DOWN
        mixed = torch.einsum("chw,dc->dhw", image, COLOR_MIX.to(image.device))
        return torch.sigmoid(mixed)
