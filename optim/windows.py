"""Fine-tuning windows: where each step's window of the tiled canvas falls.

A window's centre is drawn uniformly over the canvas and the window is then shifted inside
it. Drawn by corner instead, an edge pixel would be seen by one corner position in hundreds
and the canvas's edges would hardly be fine-tuned; this way they are seen at least half as
often as the middle.
"""

from __future__ import annotations

import torch


def window_corner(canvas: int, size: int) -> tuple[int, int]:
    """(x0, y0) of this step's ``size`` px window of a ``canvas`` px canvas, from torch's
    global random stream."""
    centre = torch.randint(0, canvas, (2,))
    x0, y0 = ((centre - size // 2).clamp(0, canvas - size)).tolist()
    return x0, y0
