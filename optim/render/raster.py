"""Tile-culled, anti-aliased, differentiable rasterization of stroke scenes.

Work is proportional to the painted area: every line piece is paired only with the
small square tiles its stroke can touch, coverage is evaluated for those pairs, and
each (tile, path) keeps the largest coverage of its pieces, so a stroke never
darkens where its own segments overlap. Compositing then runs per tile.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from optim.render.flatten import flatten, pieces_per_segment, segment_controls
from optim.render.scene import StrokeScene

Blend = Literal["multiply", "over"]
BLENDS: tuple[Blend, ...] = ("multiply", "over")
Window = tuple[int, int, int, int]

# Alpha is scaled by (1 - OPAQUE_EPS) before taking log(1 - alpha) in ``over``
# compositing, so fully opaque strokes keep a finite log and a gradient.
OPAQUE_EPS = 1e-7


def stroke_pieces(
    scene: StrokeScene, tolerance: float, max_length: float, window: Window | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Chord starts, ends and path index of every piece that may touch ``window``."""
    ctrl, seg_path = segment_controls(scene)
    if window is not None:
        x0, y0, w, h = window
        reach = (scene.widths.detach() / 2 + 1.0)[seg_path, None]
        lo = ctrl.detach().amin(1) - reach  # the curve lies in its control hull
        hi = ctrl.detach().amax(1) + reach
        keep = (hi[:, 0] > x0) & (lo[:, 0] < x0 + w) & (hi[:, 1] > y0) & (lo[:, 1] < y0 + h)
        ctrl, seg_path = ctrl[keep], seg_path[keep]
    a, b, piece_seg = flatten(ctrl, pieces_per_segment(ctrl, tolerance, max_length))
    return a, b, seg_path[piece_seg]


def _box_cdf(x: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """Fraction of a unit pixel lying below offset ``x`` along a unit normal (a, b).

    The pixel projected on the normal has a trapezoid density (boxes of width ``a`` =
    max(|nx|, |ny|) and ``b`` = min(|nx|, |ny|) convolved); this is its CDF, written as
    three clamped pieces that stay stable as ``b`` goes to zero.
    """
    lead = b / (2 * a)
    u1 = ((x + (a + b) / 2) / b).clamp(0.0, 1.0)
    mid = ((x + (a - b) / 2) / a).clamp(min=torch.zeros_like(a), max=(a - b) / a)
    u3 = ((x - (a - b) / 2) / b).clamp(0.0, 1.0)
    return lead * u1 * u1 + mid + lead * (1 - (1 - u3) * (1 - u3))


def _coverage(
    origin: Tensor, offsets: Tensor, a: Tensor, b: Tensor, half_width: Tensor
) -> tuple[Tensor, Tensor]:
    """Area of each unit pixel covered by a round-capped band around segment a-b.

    Pixel ``j`` of pair ``i`` is centred at ``origin[i] + offsets[j]``; returns the
    coverage and the (gradient-free) distance to the segment, both (pairs, pixels).

    Exact for a straight band at any angle (the pixel's extent across the band is
    |nx| + |ny|, not 1), and a close estimate near caps and joins, where the normal is
    the direction from the nearest point of the segment. Strokes thinner than a pixel
    get their true weight.
    """
    rel = origin - a
    dx = rel[:, :1] + offsets[None, :, 0]
    dy = rel[:, 1:] + offsets[None, :, 1]
    bax = (b[:, 0] - a[:, 0])[:, None]
    bay = (b[:, 1] - a[:, 1])[:, None]
    denom = (bax * bax + bay * bay).clamp_min(1e-12)
    t = ((dx * bax + dy * bay) / denom).clamp(0.0, 1.0)
    ex = (dx - t * bax).abs()
    ey = (dy - t * bay).abs()
    d = torch.sqrt(ex * ex + ey * ey + 1e-12)
    # On the centre line the normal is undefined; any unit normal has max(|nx|, |ny|) >= sqrt(1/2).
    big = (torch.maximum(ex, ey) / d).clamp(math.sqrt(0.5), 1.0)
    small = (torch.minimum(ex, ey) / d).clamp(1e-6, math.sqrt(0.5))
    hw = half_width[:, None]
    inner = _box_cdf(hw - d, big, small)
    if bool((half_width < 0.71).any()):  # the far edge of the band is in the pixel too
        inner = inner - _box_cdf(-hw - d, big, small)
    return inner.clamp(0.0, 1.0), d.detach()  # rounding can step past 1; log(1 - alpha) needs <= 1


# Pixels evaluated at once: bounds the memory of the coverage temporaries.
CHUNK_PIXELS = 1 << 21


class _ChunkedCoverage(torch.autograd.Function):
    """``_coverage`` in bounded memory: only the small per-pair inputs are saved, and
    backward recomputes each chunk with autograd instead of keeping ~20 pixel-sized
    temporaries alive from forward to backward."""

    @staticmethod
    def forward(ctx, origin, offsets, a, b, half_width):  # type: ignore[override]
        ctx.save_for_backward(origin, offsets, a, b, half_width)
        step = max(1, CHUNK_PIXELS // offsets.shape[0])
        parts = [
            _coverage(
                origin[i : i + step], offsets, a[i : i + step], b[i : i + step], half_width[i : i + step]
            )
            for i in range(0, a.shape[0], step)
        ]
        cov, dist = torch.cat([c for c, _ in parts]), torch.cat([d for _, d in parts])
        ctx.mark_non_differentiable(dist)
        return cov, dist

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_cov, _grad_dist):  # type: ignore[override]
        origin, offsets, a, b, half_width = ctx.saved_tensors
        step = max(1, CHUNK_PIXELS // offsets.shape[0])
        grads: list[list[Tensor]] = [[], [], []]
        for i in range(0, a.shape[0], step):
            with torch.enable_grad():
                inputs = [t[i : i + step].detach().requires_grad_() for t in (a, b, half_width)]
                cov, _ = _coverage(origin[i : i + step], offsets, *inputs)
                for acc, g in zip(
                    grads, torch.autograd.grad(cov, inputs, grad_cov[i : i + step]), strict=True
                ):
                    acc.append(g)
        ga, gb, gw = (torch.cat(g) for g in grads)
        return None, None, ga, gb, gw


def coverage(
    origin: Tensor, offsets: Tensor, a: Tensor, b: Tensor, half_width: Tensor
) -> tuple[Tensor, Tensor]:
    """Coverage of pixels ``origin[i] + offsets[j]`` by segment ``a[i]-b[i]`` and its
    distance: see ``_coverage``; differentiable in ``a``, ``b`` and ``half_width``."""
    return _ChunkedCoverage.apply(origin, offsets, a, b, half_width)


def nearest_piece_coverage(cov: Tensor, dist: Tensor, group: Tensor, n_groups: int) -> Tensor:
    """Per group (one path in one tile), each pixel's coverage by the path's nearest piece.

    The nearest piece gives the true distance to the stroke; taking it, not the largest
    coverage, keeps joints between pieces from acting as caps, and a stroke that crosses
    itself is painted once.
    """
    index = group[:, None].expand_as(cov)
    nearest = dist.new_full((n_groups, cov.shape[1]), math.inf).scatter_reduce(0, index, dist, "amin")
    chosen = cov * (dist <= nearest[group])
    return cov.new_zeros(n_groups, cov.shape[1]).scatter_reduce(0, index, chosen, "amax", include_self=False)


def tile_offsets(tile: int, like: Tensor) -> Tensor:
    """(tile * tile, 2) offsets of a tile's pixel centres from its first one, row by row."""
    r = torch.arange(tile, dtype=like.dtype, device=like.device)
    return torch.stack([r.repeat(tile), r.repeat_interleave(tile)], 1)


def _bin_pieces(
    a: Tensor, b: Tensor, reach: Tensor, window: Window, tile: int
) -> tuple[Tensor, Tensor, Tensor]:
    """(piece, tile x, tile y) for every tile whose pixel centres a piece can cover."""
    x0, y0, w, h = window
    nx, ny = math.ceil(w / tile), math.ceil(h / tile)
    with torch.no_grad():
        lo = torch.minimum(a, b) - reach[:, None]
        hi = torch.maximum(a, b) + reach[:, None]
        origin = torch.tensor([x0 + 0.5, y0 + 0.5], dtype=a.dtype, device=a.device)
        first = torch.div(torch.ceil(lo - origin), tile, rounding_mode="floor").long()
        last = torch.div(torch.floor(hi - origin), tile, rounding_mode="floor").long()
        first[:, 0].clamp_(min=0)
        first[:, 1].clamp_(min=0)
        last[:, 0].clamp_(max=nx - 1)
        last[:, 1].clamp_(max=ny - 1)
        span = (last - first + 1).clamp_min(0)
        count = span[:, 0] * span[:, 1]
        piece = torch.repeat_interleave(torch.arange(a.shape[0], device=a.device), count)
        k = torch.arange(piece.shape[0], device=a.device) - (torch.cumsum(count, 0) - count)[piece]
        tx = first[piece, 0] + k % span[piece, 0]
        ty = first[piece, 1] + torch.div(k, span[piece, 0], rounding_mode="floor")
        # Drop tiles in the bounding box that the stroke's capsule cannot reach.
        centre = torch.stack([tx, ty], 1).to(a.dtype) * tile + origin + (tile - 1) / 2
        pa, ba = centre - a[piece], b[piece] - a[piece]
        t = ((pa * ba).sum(1) / (ba * ba).sum(1).clamp_min(1e-12)).clamp(0, 1)
        dist = (pa - t[:, None] * ba).norm(dim=1)
        near = dist <= reach[piece] + (tile - 1) * math.sqrt(0.5) + 1e-3
        return piece[near], tx[near], ty[near]


def auto_tile(widths: Tensor) -> int:
    """Tile side that keeps wasted pixels and pair counts both low for these strokes.

    Thin pen-like strokes touch few pixels of a big tile (memory and time wasted on
    zero coverage); wide strokes make many pairs with small tiles.
    """
    if widths.numel() == 0:
        return 4
    typical = float(widths.detach().median())
    return 2 if typical <= 2 else 4 if typical <= 8 else 8


def render(
    scene: StrokeScene,
    *,
    background: tuple[float, float, float] | Tensor = (1.0, 1.0, 1.0),
    blend: Blend = "multiply",
    window: Window | None = None,
    tile: int | None = None,
    tolerance: float = 0.1,
) -> Tensor:
    """Render ``scene`` to a (3, H, W) image in [0, 1], differentiable in its tensors.

    ``blend="multiply"`` is ink on paper (order independent, overlaps darken);
    ``blend="over"`` is an SVG viewer's painter's order. ``window=(x0, y0, w, h)``
    renders only that rectangle of the canvas, at a cost set by the window's content.
    ``tile`` is the culling tile's side in pixels (default: chosen from stroke widths).
    """
    if blend not in BLENDS:
        raise ValueError(f"unknown blend {blend!r}; use one of {', '.join(BLENDS)}")
    x0, y0, w, h = window if window is not None else (0, 0, scene.width, scene.height)
    if w <= 0 or h <= 0:
        raise ValueError(f"window size must be positive, got {w}x{h}")
    dtype, device = scene.points.dtype, scene.points.device
    bg = torch.as_tensor(background, dtype=dtype, device=device).reshape(3)
    tile = tile if tile is not None else auto_tile(scene.widths)
    nx, ny = math.ceil(w / tile), math.ceil(h / tile)
    area = tile * tile

    a, b, piece_path = stroke_pieces(scene, tolerance, tile, (x0, y0, w, h))
    reach = scene.widths.detach()[piece_path] / 2 + math.sqrt(0.5) + 1e-3
    piece, tx, ty = _bin_pieces(a, b, reach, (x0, y0, w, h), tile)
    image = bg.view(1, 3, 1).expand(nx * ny, 3, area)
    if piece.numel():
        image = image.index_copy(
            0, *_composite(scene, a, b, piece_path, piece, tx, ty, bg, blend, x0, y0, tile, nx)
        )
    else:
        image = image.clone()
    image = image.view(ny, nx, 3, tile, tile).permute(2, 0, 3, 1, 4).reshape(3, ny * tile, nx * tile)
    return image[:, :h, :w]


def _composite(
    scene: StrokeScene,
    a: Tensor,
    b: Tensor,
    piece_path: Tensor,
    piece: Tensor,
    tx: Tensor,
    ty: Tensor,
    bg: Tensor,
    blend: Blend,
    x0: int,
    y0: int,
    tile: int,
    nx: int,
) -> tuple[Tensor, Tensor]:
    """Colour of every tile that some stroke touches: (tile indices, (T, 3, tile*tile))."""
    # Gathers of what is learned use index_select, never indexing: indexing's backward adds
    # into the gradient with CPU atomics in any order, so runs of one seed would differ.
    n_paths = scene.n_paths
    path = piece_path[piece]
    tile_id = ty * nx + tx
    # Group pairs by (tile, path); a stable sort keeps painter's order inside a tile.
    order = torch.argsort(tile_id * n_paths + path, stable=True)
    piece, tx, ty, path, tile_id = piece[order], tx[order], ty[order], path[order], tile_id[order]
    keys, group = torch.unique_consecutive(tile_id * n_paths + path, return_inverse=True)

    origin = torch.stack([x0 + 0.5 + tx * tile, y0 + 0.5 + ty * tile], 1).to(a.dtype)
    ends = a.index_select(0, piece), b.index_select(0, piece)
    cov, dist = coverage(origin, tile_offsets(tile, a), *ends, scene.widths.index_select(0, path) / 2)
    if keys.shape[0] < cov.shape[0]:
        cov = nearest_piece_coverage(cov, dist, group, keys.shape[0])

    group_tile = torch.div(keys, n_paths, rounding_mode="floor")
    group_path = keys - group_tile * n_paths
    tiles, tile_of_group = torch.unique_consecutive(group_tile, return_inverse=True)
    # opacities held to [0, 1], with their gradient kept at the bounds: at 1 it says what a
    # stroke's presence gives (economy.plan)
    opacity = scene.opacities.index_select(0, group_path)
    opacity = opacity - (opacity - opacity.clamp(0, 1)).detach()
    alpha = cov * opacity[:, None]  # (G, A)
    color = scene.colors.index_select(0, group_path)[:, :, None]  # (G, 3, 1)
    n_tiles = tiles.shape[0]
    if blend == "multiply":
        ink = 1 - alpha[:, None, :] * (1 - color)
        out = ink.new_ones(n_tiles, 3, ink.shape[2]).scatter_reduce(
            0, tile_of_group[:, None, None].expand_as(ink), ink, "prod"
        )
        return tiles, out * bg[None, :, None]
    # over: C = bg * prod_i (1 - a_i) + sum_i c_i a_i prod_{j > i} (1 - a_j), the
    # products taken inside each tile through a float64 segmented cumulative sum of logs.
    log_t = torch.log1p(-alpha.double() * (1 - OPAQUE_EPS))
    csum = torch.cumsum(log_t, 0)
    counts = torch.bincount(tile_of_group, minlength=n_tiles)
    end = torch.cumsum(counts, 0) - 1
    before = torch.cat([csum.new_zeros(1, csum.shape[1]), csum[end[:-1]]])
    total = (csum[end] - before).to(alpha.dtype)  # (T, A)
    after = (csum[end].index_select(0, tile_of_group) - csum).to(alpha.dtype)  # (G, A)
    painted = color * (alpha * torch.exp(after))[:, None, :]
    out = torch.exp(total)[:, None, :] * bg[None, :, None]
    return tiles, out.index_add(0, tile_of_group, painted).clamp(0.0, 1.0)
