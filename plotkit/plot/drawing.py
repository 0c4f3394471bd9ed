"""A drawing to plot: a multi-layer SVG read through vpype, in millimetres, checked.

One vpype layer is one pen; layers are plotted in id order. Nothing is clamped: geometry
outside the plotter's travel or the page is refused with its extent, before anything moves.
"""

from __future__ import annotations

import shlex
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
MAX_PAGE_MM = 100_000  # a 100 m roll: larger pages are broken units, not paper


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
    return document_drawing(doc, path)


def document_drawing(doc: vp.Document, path: Path | str) -> PlotDrawing:
    """The drawing a vpype document holds (as read from ``path``, named in messages)."""
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
    if page is not None and not all(0 <= side <= MAX_PAGE_MM for side in page):  # NaN fails too
        raise UserError(
            f"{path}: its page is {page[0]:.3g} x {page[1]:.3g} mm, not a sheet any plotter takes; "
            "give the <svg> a width and height in mm or cm"
        )
    return PlotDrawing(tuple(layers), page)


def _thin(points: np.ndarray) -> np.ndarray:
    thinned = np.asarray(shapely.simplify(shapely.LineString(points), THIN_MM).coords)
    return thinned if len(thinned) >= 2 else points[[0, -1]]


def turn(drawing: PlotDrawing) -> PlotDrawing:
    """The drawing turned 90 degrees counter-clockwise on its page, as ``vpype pagerotate``
    does: the page's top edge becomes its left edge, and a portrait page becomes landscape.
    Without a page, the drawing keeps its margins from the home corner."""
    layers = tuple(
        PenLayer(
            layer.layer_id,
            layer.name,
            layer.color,
            layer.pen_width_mm,
            tuple(_turn_points(s, _turn_width(drawing)) for s in layer.strokes),
        )
        for layer in drawing.layers
    )
    page = (drawing.page_mm[1], drawing.page_mm[0]) if drawing.page_mm is not None else None
    return PlotDrawing(layers, page)


def _turn_width(drawing: PlotDrawing) -> float:
    """What x is mirrored against: the page's width, or the drawing's own span from home."""
    if drawing.page_mm is not None:
        return drawing.page_mm[0]
    x0, _, x1, _ = drawing.bounds_mm
    return x0 + x1


def _turn_points(points: np.ndarray, width: float) -> np.ndarray:
    return np.stack([points[:, 1], width - points[:, 0]], 1)


def check_fits(drawing: PlotDrawing, plotter: Plotter, svg: Path | None = None, turned: bool = False) -> None:
    """Refuse geometry outside the plotter's travel or the page, naming the extent. A drawing
    that would fit turned by 90 degrees is refused with the two ways to turn it; ``turned``
    says it was turned already (``--rotate``), ``svg`` names the file in the vpype command."""
    x0, y0, x1, y1 = drawing.bounds_mm
    extent = f"the drawing spans x {x0:.1f} to {x1:.1f} mm, y {y0:.1f} to {y1:.1f} mm"
    if turned:
        extent += " (turned by --rotate)"
    if x0 < -1e-6 or y0 < -1e-6:
        raise UserError(f"{extent}: it starts left of or above the home corner; move it onto the page")
    if x1 > plotter.travel_x_mm + 1e-6 or y1 > plotter.travel_y_mm + 1e-6:
        travel = f"{plotter.travel_x_mm:g} x {plotter.travel_y_mm:g} mm"
        beyond = f"{extent}, beyond the {plotter.name} travel of {travel}"
        if not turned and _fits(_turned_bounds(drawing), plotter):
            raise UserError(
                f"{beyond}; it fits turned by 90 degrees: add --rotate, {_turn_command(drawing, svg)}"
            )
        raise UserError(
            f"{beyond}; scale it down (vpype scaleto, or a smaller page) or choose a larger --plotter"
        )
    if drawing.page_mm is not None:
        pw, ph = drawing.page_mm
        if x1 > pw + 1e-6 or y1 > ph + 1e-6:
            raise UserError(
                f"{extent}, off its {pw:.0f} x {ph:.0f} mm page; fit it to the page (vpype layout)"
            )


def _turned_bounds(drawing: PlotDrawing) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = drawing.bounds_mm
    corners = _turn_points(np.array([[x0, y0], [x1, y1]]), _turn_width(drawing))
    return (*corners.min(0), *corners.max(0))


def _fits(bounds: tuple[float, float, float, float], plotter: Plotter) -> bool:
    x0, y0, x1, y1 = bounds
    return min(x0, y0) >= -1e-6 and x1 <= plotter.travel_x_mm + 1e-6 and y1 <= plotter.travel_y_mm + 1e-6


def _turn_command(drawing: PlotDrawing, svg: Path | None) -> str:
    """How to turn the file itself, the way --rotate turns it (vpype pagerotate needs a page)."""
    if drawing.page_mm is None or svg is None:
        return "or turn the drawing in the file"
    out = svg.with_name(f"{svg.stem}-turned{svg.suffix}")
    return f"or turn the file: {shlex.join(['vpype', 'read', str(svg), 'pagerotate', 'write', str(out)])}"
