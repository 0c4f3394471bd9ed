"""Differentiable augmentations: every optimization step sees the drawing as a batch of
randomly jittered, perspective-warped and cropped views, so it cannot cheat with
pixel-exact patterns.

The three steps compose into one homography per view (view pixel -> drawing pixel), and
the whole batch is resampled by a single ``grid_sample``, white outside the drawing: no
padded, warped or resized copies per view. The random draws are those of the steps taken
one by one (torchvision's parameters for perspective and resized crop), so the views are
distributed as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
import torchvision.transforms as T1
import torchvision.transforms.functional as F1

CROP_RATIO = (3 / 4, 4 / 3)  # aspect ratios of the random crop, torchvision's default


@dataclass(frozen=True)
class Augment:
    batch: int = 4
    size: int = 224  # network input side
    perspective: float = 0.5  # distortion scale, 0 to turn off
    crop_scale: tuple[float, float] = (0.7, 0.9)
    jitter: int = 8  # pixels of random shift, 0 to turn off

    def sample(self, image: torch.Tensor) -> torch.Tensor:
        """(batch, 3, 3) maps from view to drawing pixel coordinates (pixel centres at
        i + 0.5), drawn from torch's global RNG."""
        h, w = image.shape[-2:]
        maps = []
        for _ in range(self.batch):
            shift = (0, 0)
            if self.jitter > 0:
                dx, dy = (int(v) - self.jitter for v in torch.randint(0, 2 * self.jitter + 1, (2,)))
                shift = (dx, dy)
            start = end = None
            if self.perspective > 0:
                start, end = T1.RandomPerspective.get_params(w, h, self.perspective)
            crop = T1.RandomResizedCrop.get_params(image, list(self.crop_scale), list(CROP_RATIO))
            maps.append(view_to_drawing(self.size, shift, start, end, crop))
        return torch.stack(maps)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """(3, H, W) in [0, 1] -> (batch, 3, size, size); draws from torch's global RNG."""
        return resample(image, self.sample(image), self.size, self.crop_scale[0])


def view_to_drawing(
    size: int,
    shift: tuple[int, int],
    start: list[list[int]] | None,
    end: list[list[int]] | None,
    crop: tuple[int, int, int, int],
) -> torch.Tensor:
    """The homography taking a view's pixel coordinates to the drawing's: the resized crop
    (top, left, height, width) of the perspective warp (``end`` corners show ``start``'s)
    of the drawing shifted by ``shift``."""
    top, left, height, width = crop
    resize = torch.tensor([[width / size, 0, left], [0, height / size, top], [0, 0, 1]], dtype=torch.float64)
    warp = torch.eye(3, dtype=torch.float64)
    if start is not None:
        a, b, c, d, e, f, g, k = F1._get_perspective_coeffs(start, end)
        warp = torch.tensor([[a, b, c], [d, e, f], [g, k, 1.0]], dtype=torch.float64)
    move = torch.tensor([[1, 0, shift[0]], [0, 1, shift[1]], [0, 0, 1]], dtype=torch.float64)
    return move @ warp @ resize


def resample(image: torch.Tensor, maps: torch.Tensor, size: int, smallest_crop: float = 1.0) -> torch.Tensor:
    """Views of ``image`` (3, H, W) through ``maps`` (B, 3, 3), bilinear, white outside.

    A drawing much larger than the views is first shrunk once (antialiased) to about the
    resolution its smallest crop needs, so that bilinear sampling does not alias."""
    h, w = image.shape[-2:]
    enough = math.ceil(size / math.sqrt(smallest_crop))
    if min(h, w) > enough:
        factor = enough / min(h, w)
        image = nnf.interpolate(
            image[None], size=(round(h * factor), round(w * factor)), mode="bilinear", antialias=True
        )[0]
    centres = torch.arange(size, dtype=torch.float64) + 0.5
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    points = torch.stack([x, y, torch.ones_like(x)], -1).reshape(-1, 3)  # (size * size, 3)
    mapped = points @ maps.cpu().double().transpose(1, 2)  # (B, size * size, 3)
    xy = mapped[..., :2] / mapped[..., 2:]
    grid = (xy / torch.tensor([w, h], dtype=torch.float64) * 2 - 1).reshape(-1, size, size, 2)
    batch = (image - 1)[None].expand(len(maps), -1, -1, -1)  # sampled as ink: zero outside is white
    grid = grid.to(image.device, image.dtype)
    views = nnf.grid_sample(batch, grid, mode="bilinear", align_corners=False)
    return views + 1
