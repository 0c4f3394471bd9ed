"""Our render against resvg and against analytic coverage."""

import math

import numpy as np
import pytest
import torch

from optim.render import StrokeScene, render
from optim.render.svg import read_svg, scene_to_svg
from tests.scenes import SHARED, colourful_scene, resvg_render


def _compare(scene: StrokeScene, svg_text: str) -> tuple[np.ndarray, np.ndarray]:
    ours = render(scene, blend="over").permute(1, 2, 0).double().numpy()
    diff = np.abs(ours - resvg_render(svg_text))
    return diff.mean(axis=(0, 1)), np.percentile(diff, 99, axis=(0, 1))


@pytest.mark.parametrize("seed", range(6))
def test_random_scenes_match_resvg(seed):
    scene = colourful_scene(seed, n=60, width=160, height=120)
    mean, p99 = _compare(scene, scene_to_svg(scene))
    assert (mean < 0.01).all(), mean
    assert (p99 < 0.15).all(), p99


PUBLISHED = sorted((SHARED / "examples").glob("*.svg")) if (SHARED / "examples").is_dir() else []


@pytest.mark.skipif(
    not PUBLISHED, reason=f"published drawings not found in {SHARED / 'examples'} (../shared)"
)
@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name[-16:])
def test_published_drawings_match_supersampled_resvg(path):
    """Real drawings, edge-dense (2 px strokes at 224 px), so the reference is resvg at 4x
    zoom averaged down: resvg's own 1x anti-aliasing is farther from true area coverage
    than ours (see test_diagonal_lines_have_area_coverage)."""
    scene = read_svg(path)
    ours = render(scene, blend="over").permute(1, 2, 0).double().numpy()
    zoomed = resvg_render(path.read_text(), zoom=4)
    truth = zoomed.reshape(scene.height, 4, scene.width, 4, 3).mean(axis=(1, 3))
    diff = np.abs(ours - truth)
    assert diff.mean() < 0.01, diff.mean()
    assert np.percentile(diff, 99) < 0.2


def _line(y: float, width: float) -> StrokeScene:
    pts = torch.tensor([[4.0, y], [20.0, y], [40.0, y], [60.0, y]])
    return StrokeScene.from_paths([pts], [width], [[0, 0, 0]], [1.0], 64, 32)


@pytest.mark.parametrize("y,width", [(16.0, 4.0), (16.25, 3.0), (15.5, 1.0), (16.1, 0.4), (16.7, 6.5)])
def test_horizontal_line_has_exact_area_coverage(y, width):
    image = render(_line(y, width), blend="over")[0]
    column = 1 - image[:, 32].double()  # far from the caps
    rows = torch.arange(32, dtype=torch.float64)
    lo, hi = y - width / 2, y + width / 2
    expected = (torch.minimum(rows + 1, torch.tensor(hi)) - torch.maximum(rows, torch.tensor(lo))).clamp_min(
        0
    )
    assert torch.allclose(column, expected, atol=1e-5)


def _supersampled_capsule(a: np.ndarray, b: np.ndarray, width: float, size: int, n: int = 64) -> np.ndarray:
    sub = (np.arange(size * n) + 0.5) / n
    x, y = np.meshgrid(sub, sub)
    rel = np.stack([x - a[0], y - a[1]], -1)
    t = np.clip(rel @ (b - a) / ((b - a) @ (b - a)), 0, 1)
    dist = np.linalg.norm(rel - t[..., None] * (b - a), axis=-1)
    return (dist <= width / 2).reshape(size, n, size, n).mean(axis=(1, 3))


@pytest.mark.parametrize("angle", [0, 13, 30, 45, 71])
@pytest.mark.parametrize("width", [0.5, 1.0, 2.0, 5.0])
def test_diagonal_lines_have_area_coverage(angle, width):
    centre = np.array([32.2, 32.7])
    u = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    a, b = centre - 25 * u, centre + 25 * u
    pts = torch.tensor(np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b]), dtype=torch.float32)
    scene = StrokeScene.from_paths([pts], [width], [[0, 0, 0]], [1.0], 64, 64)
    ink = 1 - render(scene, blend="over")[0].double().numpy()
    exact = _supersampled_capsule(a, b, width, 64)
    # Along the body coverage is the exact area; round caps are an estimate (a cap seen
    # as a band across its radius), which adds a little ink to sub-pixel strokes.
    centres = np.stack(np.meshgrid(np.arange(64) + 0.5, np.arange(64) + 0.5), -1)
    near_cap = np.minimum(np.linalg.norm(centres - a, axis=-1), np.linalg.norm(centres - b, axis=-1))
    body = near_cap > width / 2 + 1.5
    assert np.abs(ink - exact)[body].max() < 0.01
    assert np.abs(ink - exact).max() < 0.25
    assert abs(ink.sum() - exact.sum()) / exact.sum() < (0.05 if width < 1 else 0.015)


def _circle(cx: float, cy: float, r: float) -> torch.Tensor:
    """A circle as four cubic arcs (radial error 0.03% of r)."""
    k = 4 / 3 * math.tan(math.pi / 8)
    pts = [[cx + r, cy]]
    for q in range(4):
        a0, a1 = q * math.pi / 2, (q + 1) * math.pi / 2
        p0 = np.array([math.cos(a0), math.sin(a0)])
        p1 = np.array([math.cos(a1), math.sin(a1)])
        t0, t1 = np.array([-p0[1], p0[0]]), np.array([-p1[1], p1[0]])
        for p in (p0 + k * t0, p1 - k * t1, p1):
            pts.append([cx + r * p[0], cy + r * p[1]])
    return torch.tensor(pts)


@pytest.mark.parametrize("r,width", [(20.0, 3.0), (11.3, 1.0), (25.0, 7.5)])
def test_circle_matches_supersampled_annulus(r, width):
    cx, cy = 32.3, 31.8
    scene = StrokeScene.from_paths([_circle(cx, cy, r)], [width], [[0, 0, 0]], [1.0], 64, 64)
    ink = 1 - render(scene, blend="over")[0].double().numpy()
    n = 16  # exact coverage of each pixel by the annulus, by 16x16 supersampling
    sub = (np.arange(64 * n) + 0.5) / n
    d = np.hypot(sub[None, :] - cx, sub[:, None] - cy)
    inside = (np.abs(d - r) <= width / 2).astype(np.float64)
    exact = inside.reshape(64, n, 64, n).mean(axis=(1, 3))
    assert abs(ink.sum() - 2 * math.pi * r * width) / (2 * math.pi * r * width) < 0.01
    assert np.abs(ink - exact).mean() < 0.01
    assert np.abs(ink - exact).max() < 0.25
