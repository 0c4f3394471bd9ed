"""Differentiable augmentations: every optimization step sees the drawing as a batch of
randomly padded, jittered, turned, perspective-warped and cropped views, so it cannot
cheat with pixel-exact patterns.

The steps compose into one homography per view (view pixel -> drawing pixel), and the
whole batch is resampled by a single ``grid_sample``, white outside the drawing: no
padded, warped or resized copies per view. The random draws are those of the steps taken
one by one (torchvision's parameters for perspective and resized crop), so the views are
distributed as before.

Two families of views are named in ``optim.views``: plotkit's perspective and crop, and
lucent's transformation robustness (padding, jitter, small scaling and rotation).
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
    pad: int = 0  # white margin added around the drawing before the views are taken
    scale: tuple[float, float] = (1.0, 1.0)  # random zoom range, about the centre
    rotate: float = 0.0  # random turn in degrees, up to this either way

    def resolution(self, side: int) -> int:
        """Pixels across worth rendering a ``side`` px drawing at: the finest detail these
        views show (their smallest crop, at the network's input size)."""
        return min(side, needed(self.size, self.crop_scale[0]))

    def sample(self, shape: tuple[int, int]) -> torch.Tensor:
        """(batch, 3, 3) maps from view to drawing pixel coordinates (pixel centres at
        i + 0.5) of a drawing of ``shape`` (H, W), drawn from torch's global RNG."""
        h, w = (side + 2 * self.pad for side in shape)
        padded = torch.empty(()).expand(h, w)  # torchvision's crop parameters read only the shape
        maps = []
        for _ in range(self.batch):
            shift = (0, 0)
            if self.jitter > 0:
                dx, dy = (int(v) - self.jitter for v in torch.randint(0, 2 * self.jitter + 1, (2,)))
                shift = (dx, dy)
            start = end = None
            if self.perspective > 0:
                start, end = T1.RandomPerspective.get_params(w, h, self.perspective)
            crop = T1.RandomResizedCrop.get_params(padded, list(self.crop_scale), list(CROP_RATIO))
            turn = None
            if self.scale != (1.0, 1.0) or self.rotate > 0:
                zoom = float(torch.empty(1, dtype=torch.float64).uniform_(*self.scale))
                degrees = float(torch.empty(1, dtype=torch.float64).uniform_(-self.rotate, self.rotate))
                turn = (zoom, degrees)
            maps.append(view_to_drawing(self.size, shift, start, end, crop, turn, (w, h), self.pad))
        return torch.stack(maps)

    def __call__(self, image: torch.Tensor, drawing: int | None = None) -> torch.Tensor:
        """(3, H, W) in [0, 1] -> (batch, 3, size, size); draws from torch's global RNG.
        ``image`` may be a square ``drawing`` px across rendered at fewer pixels
        (``resolution``): the views are drawn in the drawing's pixels, as for a full render."""
        shape = image.shape[-2:] if drawing is None else (drawing, drawing)
        maps = self.sample(shape)
        if drawing is not None and drawing != image.shape[-1]:
            shrink = image.shape[-1] / drawing
            maps = torch.diag(torch.tensor([shrink, shrink, 1.0], dtype=maps.dtype)) @ maps
        return resample(image, maps, self.size, self.crop_scale[0])


def needed(size: int, smallest_crop: float) -> int:
    """Drawing pixels across that views of ``size`` px, cropping down to ``smallest_crop`` of
    its area, resolve: finer detail falls between their pixels."""
    return math.ceil(size / math.sqrt(smallest_crop))


def view_to_drawing(
    size: int,
    shift: tuple[int, int],
    start: list[list[int]] | None,
    end: list[list[int]] | None,
    crop: tuple[int, int, int, int],
    turn: tuple[float, float] | None = None,
    padded: tuple[int, int] = (0, 0),
    pad: int = 0,
) -> torch.Tensor:
    """The homography taking a view's pixel coordinates to the drawing's: the resized crop
    (top, left, height, width) of the perspective warp (``end`` corners show ``start``'s)
    of the drawing zoomed and turned by ``turn`` (factor, degrees) about the centre of the
    ``padded`` (width, height) canvas, shifted by ``shift``, with ``pad`` pixels of margin."""
    top, left, height, width = crop
    resize = torch.tensor([[width / size, 0, left], [0, height / size, top], [0, 0, 1]], dtype=torch.float64)
    warp = torch.eye(3, dtype=torch.float64)
    if start is not None:
        a, b, c, d, e, f, g, k = F1._get_perspective_coeffs(start, end)
        warp = torch.tensor([[a, b, c], [d, e, f], [g, k, 1.0]], dtype=torch.float64)
    spin = torch.eye(3, dtype=torch.float64)
    if (
        turn is not None
    ):  # the view shows the drawing zoomed by ``factor``: drawing = centre + R(-a)(p - centre) / factor
        factor, degrees = turn
        a = math.radians(degrees)
        cx, cy = padded[0] / 2, padded[1] / 2
        c, s = math.cos(a) / factor, math.sin(a) / factor
        spin = torch.tensor(
            [[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy], [0, 0, 1]], dtype=torch.float64
        )
    move = torch.tensor([[1, 0, shift[0] - pad], [0, 1, shift[1] - pad], [0, 0, 1]], dtype=torch.float64)
    return move @ spin @ warp @ resize


def resample(image: torch.Tensor, maps: torch.Tensor, size: int, smallest_crop: float = 1.0) -> torch.Tensor:
    """Views of ``image`` (3, H, W) through ``maps`` (B, 3, 3), bilinear, white outside.

    A drawing much larger than the views is first shrunk once (antialiased) to about the
    resolution its smallest crop needs, so that bilinear sampling does not alias."""
    h, w = image.shape[-2:]
    enough = needed(size, smallest_crop)
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
