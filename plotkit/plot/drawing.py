"""A drawing to plot: a multi-layer SVG read through vpype, in millimetres, checked.

One vpype layer is one pen; layers are plotted in id order. Nothing is clamped: geometry
outside the plotter's travel or the page is refused with its extent, before anything moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import vpype as vp
import vpype_cli

from plotkit.errors import UserError
from plotkit.presets import Plotter
from plotkit.units import PX_PER_MM as MM

QUANTIZATION_MM = 0.1  # curves become segments this long at most, as ``vpype read`` does
# Vertices this close to the line through their neighbours are dropped (pyaxidraw's
# "supersample" tolerance): far below any pen's width, and it keeps runs of tiny segments
# from asking the board for hundreds of moves a second.
THIN_MM = 0.005


@dataclass(frozen=True)
class PenLayer:
    """The strokes of one pen, as (n, 2) arrays of x, y in millimetres."""

    layer_id: int
    name: str
    color: str
    pen_width_mm: float | None
    strokes: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class PlotDrawing:
    layers: tuple[PenLayer, ...]
    page_mm: tuple[float, float] | None

    @property
    def bounds_mm(self) -> tuple[float, float, float, float]:
        pts = np.concatenate([s for layer in self.layers for s in layer.strokes])
        return (*pts.min(0), *pts.max(0))


def read_drawing(path: Path, optimize: bool = False) -> PlotDrawing:
    """Read ``path``; with ``optimize``, merge and sort lines first (vpype linemerge, linesort)."""
    if not path.is_file():
        raise UserError(f"{path}: no such file; check the path")
    try:
        # crop=False: geometry off the page must reach check_fits and be refused, not clipped away
        doc = vp.read_multilayer_svg(str(path), quantization=QUANTIZATION_MM * MM, crop=False)
    except Exception as exc:  # vpype and svgelements raise many kinds for broken files
        raise UserError(
            f"{path}: not a readable SVG ({type(exc).__name__}: {exc}); export it again"
        ) from None
    if optimize:
        doc = vpype_cli.execute("linemerge linesort", document=doc)
    layers = []
    for layer_id in sorted(doc.layers):
        lc = doc.layers[layer_id]
        strokes = tuple(np.stack([line.real, line.imag], 1) / MM for line in lc if len(line) >= 2)
        if not strokes:
            continue
        if not all(np.isfinite(s).all() for s in strokes):
            raise UserError(f"{path}: layer {layer_id} has NaN or infinite coordinates; fix the drawing")
        strokes = tuple(_thin(s) for s in strokes)
        color = lc.property(vp.METADATA_FIELD_COLOR)
        width = lc.property(vp.METADATA_FIELD_PEN_WIDTH)
        layers.append(
            PenLayer(
                layer_id,
                str(lc.property(vp.METADATA_FIELD_NAME) or f"layer {layer_id}"),
                str(color) if color is not None else "#000000",
                float(width) / MM if width is not None else None,
                strokes,
            )
        )
    if not layers:
        raise UserError(f"{path}: nothing to draw (no paths or lines); check the file or its layers")
    page = (doc.page_size[0] / MM, doc.page_size[1] / MM) if doc.page_size else None
    return PlotDrawing(tuple(layers), page)


def _thin(points: np.ndarray) -> np.ndarray:
    thinned = np.asarray(shapely.simplify(shapely.LineString(points), THIN_MM).coords)
    return thinned if len(thinned) >= 2 else points[[0, -1]]


def check_fits(drawing: PlotDrawing, plotter: Plotter) -> None:
    """Refuse geometry outside the plotter's travel or the page, naming the extent."""
    x0, y0, x1, y1 = drawing.bounds_mm
    extent = f"the drawing spans x {x0:.1f} to {x1:.1f} mm, y {y0:.1f} to {y1:.1f} mm"
    if x0 < -1e-6 or y0 < -1e-6:
        raise UserError(f"{extent}: it starts left of or above the home corner; move it onto the page")
    if x1 > plotter.travel_x_mm + 1e-6 or y1 > plotter.travel_y_mm + 1e-6:
        raise UserError(
            f"{extent}, beyond the {plotter.name} travel of "
            f"{plotter.travel_x_mm:g} x {plotter.travel_y_mm:g} mm; "
            "turn it (vpype rotate 90, or a --landscape page), scale it down (vpype scaleto) "
            "or choose a larger --plotter"
        )
    if drawing.page_mm is not None:
        pw, ph = drawing.page_mm
        if x1 > pw + 1e-6 or y1 > ph + 1e-6:
            raise UserError(
                f"{extent}, off its {pw:.0f} x {ph:.0f} mm page; fit it to the page (vpype layout)"
            )
