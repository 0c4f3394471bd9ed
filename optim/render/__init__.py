"""Differentiable rasterizer for open cubic Bézier strokes (pure PyTorch)."""

from optim.render.raster import BLENDS, Blend, Window, render, stroke_pieces
from optim.render.scene import StrokeScene

__all__ = ["BLENDS", "Blend", "StrokeScene", "Window", "render", "stroke_pieces"]
