"""Strokes cut at the canvas's edges, exactly: the network never sees ink off the canvas
(its views are white there), and a plotter must not draw it off the page.

Each cubic segment is split where it crosses one of the four edges (the roots of a cubic
in its power basis) and the pieces inside are kept as exact sub-curves (de Casteljau), so
what stays inside is the same curve as before and still a stroke the optimizer can take up
again (a study continued). Consecutive pieces inside make one stroke; a stroke that leaves and
comes back becomes two.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import Tensor

from optim.render.scene import StrokeScene

MIN_PIECE_PX = 1e-3  # a cut-off bit shorter than this (a corner grazed) would plot as a dot: dropped


def clip_to_canvas(scene: StrokeScene) -> tuple[StrokeScene, Tensor]:
    """The parts of ``scene``'s strokes inside its canvas, and the index of the stroke each
    part comes from (its width, colour, opacity and pen)."""
    points = scene.points.detach().cpu().double()
    box = torch.tensor([scene.width, scene.height], dtype=torch.float64)
    inside = ((points >= 0) & (points <= box)).all(1)
    paths, parents = [], []
    for i, start in enumerate(scene.path_offsets.tolist()):
        end = start + 3 * int(scene.segments[i]) + 1
        if inside[start:end].all():  # a Bézier curve stays within its control points' hull
            paths.append(points[start:end])
            parents.append(i)
            continue
        for run in _inside_runs(points[start:end].numpy(), box.numpy()):
            paths.append(torch.from_numpy(run))
            parents.append(i)
    index = torch.tensor(parents, dtype=torch.int64)
    pick = index.to(scene.widths.device)
    clipped = replace(
        scene,
        points=torch.cat(paths).to(scene.points) if paths else scene.points[:0],
        segments=torch.tensor([(len(p) - 1) // 3 for p in paths], dtype=torch.int64),
        widths=scene.widths.index_select(0, pick),
        colors=scene.colors.index_select(0, pick),
        opacities=scene.opacities.index_select(0, pick),
    )
    return clipped, index


def _inside_runs(ctrl: np.ndarray, box: np.ndarray) -> list[np.ndarray]:
    """Control points (3m+1, 2) of each run of a path's pieces that lie inside [0, box]."""
    runs: list[list[np.ndarray]] = []
    current: list[np.ndarray] = []
    for j in range(0, len(ctrl) - 1, 3):
        segment = ctrl[j : j + 4]
        ts = _crossings(segment, box)
        for a, b in zip(ts[:-1], ts[1:], strict=True):
            middle = _at(segment, (a + b) / 2)
            if np.all((0 <= middle) & (middle <= box)):
                current.append(segment if (a, b) == (0, 1) else _piece(segment, a, b, box))
            elif current:
                runs.append(current)
                current = []
    if current:
        runs.append(current)
    joined = [np.concatenate([run[0], *(p[1:] for p in run[1:])]) for run in runs]
    return [r for r in joined if np.linalg.norm(np.diff(r, axis=0), axis=1).sum() >= MIN_PIECE_PX]


def _crossings(segment: np.ndarray, box: np.ndarray) -> np.ndarray:
    """0, 1 and every parameter in between where the segment meets an edge, sorted."""
    p0, p1, p2, p3 = segment
    cubic = np.stack([-p0 + 3 * p1 - 3 * p2 + p3, 3 * p0 - 6 * p1 + 3 * p2, 3 * (p1 - p0), p0])
    ts = [0.0, 1.0]
    for axis in (0, 1):
        for edge in (0.0, box[axis]):
            coefficients = cubic[:, axis] - np.array([0, 0, 0, edge])
            for root in np.roots(coefficients) if np.any(coefficients[:3]) else ():
                if abs(root.imag) < 1e-9 and 0 < root.real < 1:
                    ts.append(float(root.real))
    return np.unique(ts)


def _at(segment: np.ndarray, t: float) -> np.ndarray:
    """The point of the segment at parameter ``t``."""
    s = 1 - t
    weights = np.array([s**3, 3 * s * s * t, 3 * s * t * t, t**3])
    return weights @ segment


def _split(segment: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """de Casteljau: the segment's control points before and after ``t``."""
    a, b, c, d = segment
    ab, bc, cd = a + (b - a) * t, b + (c - b) * t, c + (d - c) * t
    abc, bcd = ab + (bc - ab) * t, bc + (cd - bc) * t
    m = abc + (bcd - abc) * t
    return np.stack([a, ab, abc, m]), np.stack([m, bcd, cd, d])


def _piece(segment: np.ndarray, a: float, b: float, box: np.ndarray) -> np.ndarray:
    """Control points of the segment between parameters ``a`` < ``b``, its ends (on the
    edges or inside) kept within ``box`` against rounding."""
    piece = _split(_split(segment, b)[0], a / b)[1]
    piece[[0, 3]] = np.clip(piece[[0, 3]], 0, box)
    return piece
