"""The pixel references strokes are measured against, in the parameterisation feature
visualisation uses (Olah et al., "Feature Visualization", 2017; lucid's and lucent's
``param.image(fft=True, decorrelate=True)``).

An image is a spectrum whose coefficients are scaled by 1 / frequency, so that Adam's
steps are even across scales. ``FourierImage`` is the unconstrained optimum: its colours
are mixed by the square root of ImageNet's colour correlation, then squashed into [0, 1]
by a sigmoid. ``InkImage`` is what free pixels do in a pen's ink: every pixel inked or
paper, a fixed share of them inked, in black or in a pen set's colours.
"""

from __future__ import annotations

import torch
from torch import nn

# Square root of ImageNet's RGB colour correlation (lucid's published constants), scaled so
# that its largest column has norm 1.
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_MIX = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()
SPECTRUM_SCALE_DOWN = 4.0  # lucid's constant: the ortho irfft of the initial spectrum is too saturated
# InkImage: the sigmoid that decides ink or paper sharpens from the first temperature to the
# second over the steps (in units of the spectrum's image). Tried on the real MobileNetV2
# (features.7:7 and :21, 150 steps): from 0.1 to 0.004, 0.3 to 0.01, 1 to 0.02, 3 to 0.02
# and 1 to 0.05 reached 9.7 / 11.7 / 12.3 / 12.0 / 12.4 and 16.4 / 17.0 / 17.6 / 18.2 / 17.1.
INK_TEMPERATURE = (1.0, 0.02)


class Spectrum(nn.Module):
    """``channels`` images of side ``size`` as one learned 1/f-scaled spectrum each."""

    def __init__(self, channels: int, size: int, sd: float, decay_power: float, generator=None):
        super().__init__()
        fy = torch.fft.fftfreq(size)[:, None]
        fx = torch.fft.rfftfreq(size)[None, :]
        freqs = (fx * fx + fy * fy).sqrt()
        self.size = size
        self.register_buffer("scale", 1.0 / freqs.clamp(min=1.0 / size) ** decay_power)
        self.spectrum = nn.Parameter(torch.randn(channels, *freqs.shape, 2, generator=generator) * sd)

    def forward(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        return torch.fft.irfft2(spectrum, s=(self.size, self.size), norm="ortho") / SPECTRUM_SCALE_DOWN


class FourierImage(nn.Module):
    """A (3, size, size) image in [0, 1], parameterised by a decorrelated, 1/f-scaled spectrum."""

    def __init__(self, size: int, sd: float = 0.01, decay_power: float = 1.0, generator=None):
        super().__init__()
        self.spectrum = Spectrum(3, size, sd, decay_power, generator)

    def forward(self) -> torch.Tensor:
        mixed = torch.einsum("chw,dc->dhw", self.spectrum(), COLOR_MIX.to(self.spectrum.scale.device))
        return torch.sigmoid(mixed)


class InkImage(nn.Module):
    """Ink on white paper, ``ink`` of the pixels inked: (3, size, size) in [0, 1].

    Where the ink goes is a 1/f-scaled spectrum; a sigmoid whose threshold is set each time
    so that ``ink`` of the pixels are inked turns it into ink, softly at first so that the
    gradient reaches every pixel, as a step by the last step (``progress`` 1). The ink is
    black, or with ``palette`` (pens, 3) each pixel's pen is chosen by a softmax over one
    spectrum per pen, sharpening alike. ``hard`` is the drawing itself: exactly the share
    most wanted inked, each inked pixel in one pen's colour, the rest paper."""

    def __init__(
        self,
        size: int,
        ink: float,
        palette: torch.Tensor | None = None,
        sd: float = 0.01,
        decay_power: float = 1.0,
        generator=None,
    ):
        super().__init__()
        if not 0 < ink < 1:
            raise ValueError(f"ink must be a share between 0 and 1, got {ink}")
        self.ink = ink
        self.spectrum = Spectrum(1, size, sd, decay_power, generator)
        self.pens = None if palette is None else Spectrum(len(palette), size, sd, decay_power, generator)
        self.register_buffer("palette", torch.zeros(1, 3) if palette is None else palette.float())

    def forward(self, progress: float = 1.0) -> torch.Tensor:
        hot, cold = INK_TEMPERATURE
        temperature = hot * (cold / hot) ** min(max(progress, 0.0), 1.0)
        field = self.spectrum()[0]
        ink = torch.sigmoid((field - self._threshold(field, temperature)) / temperature)
        if self.pens is None:
            return (1 - ink)[None].expand(3, -1, -1)
        colour = torch.einsum("khw,kc->chw", torch.softmax(self.pens() / temperature, 0), self.palette)
        return 1 - ink * (1 - colour)

    def hard(self) -> torch.Tensor:
        field = self.spectrum()[0].detach()
        inked = field >= torch.quantile(field.flatten().double(), 1 - self.ink).to(field)
        pen = torch.zeros_like(inked, dtype=torch.long) if self.pens is None else self.pens().argmax(0)
        colour = self.palette[pen].permute(2, 0, 1)
        return torch.where(inked, colour, torch.ones_like(colour))

    def _threshold(self, field: torch.Tensor, temperature: float) -> torch.Tensor:
        """The threshold at which the soft ink covers ``ink`` of the image (bisection: the
        mean ink falls steadily as the threshold rises)."""
        with torch.no_grad():
            lo, hi = field.min() - 30 * temperature, field.max() + 30 * temperature
            for _ in range(40):
                mid = (lo + hi) / 2
                covered = torch.sigmoid((field - mid) / temperature).mean()
                lo, hi = (mid, hi) if covered > self.ink else (lo, mid)
            return (lo + hi) / 2
