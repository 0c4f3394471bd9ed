"""Scene builders and reference renderers shared by the tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from optim.augment import Augment
from optim.excite import excite
from optim.render import StrokeScene, stroke_pieces
from optim.render.raster import auto_tile, coverage
from optim.strokes import random_scene

SHARED = Path(__file__).resolve().parents[2] / "shared"

# ExciteSettings of a small, fast run with an untrained VGG16 (the number of strokes left
# to each test).
SMALL = dict(
    model="vgg16",
    weights="random",
    objective="relu2_2:2",
    size=96,
    stroke_width=2.0,
    augment=Augment(batch=2, size=96),
)

# A tiny, fast excite run with an untrained VGG16 (layer and channel chosen to respond).
TINY_EXCITE = (
    "--weights random --layer relu2_2 --channel 2 --paths 40 --size 96 --input-size 96 "
    "--batch 1 --steps 4 --quiet"
).split()


def colourful_scene(
    seed: int, n: int = 40, width: int = 96, height: int = 80, dtype=torch.float32
) -> StrokeScene:
    """Random strokes with random widths, colours and opacities."""
    g = torch.Generator().manual_seed(seed)
    s = random_scene(n, width, height, generator=g, dtype=dtype)
    s.widths = torch.rand(n, generator=g, dtype=dtype) * 6 + 0.5
    s.colors = torch.rand(n, 3, generator=g, dtype=dtype)
    s.opacities = torch.rand(n, generator=g, dtype=dtype) * 0.7 + 0.3
    return s


def dense_render(
    scene: StrokeScene, background=(1.0, 1.0, 1.0), blend: str = "multiply", tile: int | None = None
) -> torch.Tensor:
    """Every piece against every pixel, paths composited one by one: the slow truth."""
    a, b, path = stroke_pieces(scene, 0.1, tile or auto_tile(scene.widths))
    dtype = scene.points.dtype
    ys, xs = torch.meshgrid(
        torch.arange(scene.height, dtype=dtype) + 0.5,
        torch.arange(scene.width, dtype=dtype) + 0.5,
        indexing="ij",
    )
    centres = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)
    img = torch.as_tensor(background, dtype=dtype).reshape(3, 1).expand(3, centres.shape[0])
    for i in range(scene.n_paths):
        mine = path == i
        if not mine.any():
            continue
        hw = (scene.widths[i] / 2).expand(int(mine.sum()))
        origin = torch.zeros(int(mine.sum()), 2, dtype=dtype)
        cov, dist = coverage(origin, centres, a[mine], b[mine], hw)
        alpha = (cov * (dist <= dist.amin(0))).amax(0) * scene.opacities[i]
        color = scene.colors[i][:, None]
        img = img * (1 - alpha) + color * alpha if blend == "over" else img * (1 - alpha * (1 - color))
    return img.reshape(3, scene.height, scene.width)


def resvg_render(svg_text: str, zoom: float | None = None) -> np.ndarray:
    """(H, W, 3) float image of ``svg_text`` on white, by resvg (an independent renderer)."""
    import resvg_py

    png = resvg_py.svg_to_bytes(svg_string=svg_text, background="#ffffff", zoom=zoom)
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"), dtype=np.float64) / 255


def interrupted_and_whole(settings, checkpoint: Path, stop_at: int, phase: str = "base"):
    """An excite run interrupted after step ``stop_at`` (in ``phase``) and resumed, with the
    uninterrupted run: (resumed, whole)."""
    whole = excite(settings)

    def interrupt(p) -> None:
        if p.step == stop_at:
            assert p.phase == phase
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        excite(settings, checkpoint=checkpoint, progress=interrupt)
    assert checkpoint.exists()
    return excite(settings, checkpoint=checkpoint, resume=True), whole
