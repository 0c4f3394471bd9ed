"""Cubic Bézier strokes to short line pieces, differentiably.

The number of pieces per segment is chosen without gradient (it is a resolution,
not a parameter); the piece end points are exact points of the curve, linear in the
control points, so gradients reach every control point.
"""

from __future__ import annotations

import torch
from torch import Tensor

from optim.render.scene import StrokeScene

MAX_PIECES_PER_SEGMENT = 512


def segment_controls(scene: StrokeScene) -> tuple[Tensor, Tensor]:
    """Control points of every cubic segment, (S, 4, 2), and the path of each, (S,)."""
    seg_path = torch.repeat_interleave(torch.arange(scene.n_paths), scene.segments)
    first_seg = torch.cumsum(scene.segments, 0) - scene.segments
    seg_in_path = torch.arange(seg_path.shape[0]) - first_seg[seg_path]
    start = scene.path_offsets[seg_path] + 3 * seg_in_path
    idx = (start[:, None] + torch.arange(4)).to(scene.points.device)
    # index_select: indexing's backward would add with CPU atomics, in any order
    controls = scene.points.index_select(0, idx.flatten()).view(*idx.shape, 2)
    return controls, seg_path.to(scene.points.device)


def pieces_per_segment(ctrl: Tensor, tolerance: float, max_length: float) -> Tensor:
    """Uniform pieces needed so the chord error is below ``tolerance`` pixels.

    A cubic's second derivative is bounded by 6 * max |P_i - 2 P_i+1 + P_i+2|, and n
    uniform chords deviate from the curve by at most that bound / (8 n^2). Pieces are
    also kept shorter than ``max_length`` so that they touch few tiles.
    """
    with torch.no_grad():
        c = ctrl.detach()
        second = torch.stack([c[:, 0] - 2 * c[:, 1] + c[:, 2], c[:, 1] - 2 * c[:, 2] + c[:, 3]], 1)
        bend = second.norm(dim=-1).amax(1)
        n_bend = torch.sqrt(0.75 * bend / tolerance)
        polygon = (c[:, 1:] - c[:, :-1]).norm(dim=-1).sum(1)
        n_len = polygon / max_length
        n = torch.ceil(torch.maximum(n_bend, n_len)).nan_to_num(1.0)
        return n.clamp(1, MAX_PIECES_PER_SEGMENT).to(torch.int64)


def flatten(ctrl: Tensor, n: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Split segment ``s`` into ``n[s]`` chords of equal parameter length.

    Returns chord starts (P, 2), chord ends (P, 2) and the segment of each chord (P,).
    """
    device = ctrl.device
    n = n.to(device)
    n_pts = n + 1
    seg_of_pt = torch.repeat_interleave(torch.arange(n.shape[0], device=device), n_pts)
    first = torch.cumsum(n_pts, 0) - n_pts
    k = torch.arange(seg_of_pt.shape[0], device=device) - first[seg_of_pt]
    t = (k / n[seg_of_pt]).to(ctrl.dtype)[:, None]
    s = 1 - t
    basis = torch.cat([s**3, 3 * s * s * t, 3 * s * t * t, t**3], 1)  # (Q, 4) Bernstein
    pts = torch.einsum("qj,qjd->qd", basis, ctrl.index_select(0, seg_of_pt))  # see segment_controls
    is_start = k < n[seg_of_pt]
    start_idx = torch.nonzero(is_start).squeeze(1)
    return pts[start_idx], pts[start_idx + 1], seg_of_pt[start_idx]


def polylines(scene: StrokeScene, tolerance: float) -> list[Tensor]:
    """Each path as an (n, 2) polyline within ``tolerance`` canvas pixels of the curve."""
    if not scene.n_paths:
        return []
    with torch.no_grad():
        ctrl, seg_path = segment_controls(scene)
        a, b, piece_seg = flatten(ctrl, pieces_per_segment(ctrl, tolerance, max_length=float("inf")))
        counts = torch.bincount(seg_path[piece_seg], minlength=scene.n_paths).tolist()
        first = torch.cumsum(torch.tensor([0, *counts[:-1]]), 0).tolist()
        ends = torch.split(b, counts)
        return [torch.cat([a[f : f + 1], e]) for f, e in zip(first, ends, strict=True)]
