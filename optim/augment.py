"""Differentiable augmentations: every optimization step sees the drawing as a batch of
randomly jittered, perspective-warped and cropped views, so it cannot cheat with
pixel-exact patterns."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision.transforms as T1
import torchvision.transforms.v2 as T
import torchvision.transforms.v2.functional as F


@dataclass(frozen=True)
class Augment:
    batch: int = 4
    size: int = 224  # network input side
    perspective: float = 0.5  # distortion scale, 0 to turn off
    crop_scale: tuple[float, float] = (0.7, 0.9)
    jitter: int = 8  # pixels of random shift, 0 to turn off

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """(3, H, W) in [0, 1] -> (batch, 3, size, size); draws from torch's global RNG."""
        crop = T.RandomResizedCrop(self.size, scale=self.crop_scale, antialias=True)
        views = []
        for _ in range(self.batch):
            view = image[None]
            if self.jitter > 0:
                h, w = view.shape[-2:]
                padded = torch.nn.functional.pad(view, [self.jitter] * 4, value=1.0)
                dx, dy = (int(v) for v in torch.randint(0, 2 * self.jitter + 1, (2,)))
                view = padded[..., dy : dy + h, dx : dx + w]
            if self.perspective > 0:
                h, w = view.shape[-2:]
                start, end = T1.RandomPerspective.get_params(w, h, self.perspective)
                # Warping (view - 1) with zero padding fills the border with white, out of
                # place: torchvision's own fill is in place and breaks autograd.
                view = F.perspective(view - 1, start, end, interpolation=T.InterpolationMode.BILINEAR) + 1
            views.append(crop(view))
        return torch.cat(views)
