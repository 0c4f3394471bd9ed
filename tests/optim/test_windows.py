"""Fine-tuning windows reach the canvas's edges (the strokes there are fine-tuned too)."""

from __future__ import annotations

import pytest
import torch

from optim.windows import window_corner


@pytest.mark.parametrize(("canvas", "size"), [(480, 160), (321, 320), (1024, 224)])
def test_windows_stay_inside_and_see_the_edges_at_least_half_as_often_as_the_middle(canvas, size):
    torch.manual_seed(0)
    corners = torch.tensor([window_corner(canvas, size) for _ in range(4000)])
    assert corners.min() >= 0 and corners.max() <= canvas - size
    x0 = corners[:, 0]
    seen = [((x0 <= x) & (x < x0 + size)).float().mean() for x in (0, canvas // 2, canvas - 1)]
    assert min(seen[0], seen[2]) >= 0.4 * seen[1]
