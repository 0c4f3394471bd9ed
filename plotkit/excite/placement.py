"""Put an optimized drawing on paper: real units, one vpype layer per pen, each stroke in as
many passes of its pen as its width needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import vpype as vp
import vpype_cli
from torch import Tensor

from optim.excite import ExciteResult
from optim.render import StrokeScene
from optim.render.flatten import polylines
from plotkit.errors import UserError
from plotkit.excite.passes import passes
from plotkit.presets import PenSet
from plotkit.units import PX_PER_MM

TOLERANCE_MM = 0.02  # flattening error, well under a plotter's step and a pen's wobble


def pen_layers(
    n_paths: int, choice: Tensor | None, pens: PenSet | None, free: bool = False
) -> list[tuple[str, list[int]]]:
    """One layer per pen that draws something, in the pen set's order; ``choice`` is each
    stroke's pen (None: one pen, or free colours)."""
    if choice is None:
        return [("free colours" if free else "pen", list(range(n_paths)))] if n_paths else []
    assert pens is not None
    chosen = choice.tolist()
    layers = [(pen.name, [i for i, c in enumerate(chosen) if c == p]) for p, pen in enumerate(pens.pens)]
    return [(name, members) for name, members in layers if members]


@dataclass(frozen=True)
class Placement:
    """A square drawing of side ``side`` at (x, y) on a page, all in vpype pixels."""

    page: tuple[float, float]
    x: float
    y: float
    side: float


@dataclass(frozen=True)
class Page:
    """The paper a drawing is written on: a size in vpype pixels (None: the drawing's own),
    turned to landscape or portrait, and the margin kept free."""

    size: tuple[float, float] | None = vp.PAGE_SIZES["a4"]
    landscape: bool = True
    margin: float = 15 * PX_PER_MM

    def place(self, side_mm: float) -> Placement:
        """The drawing, ``side_mm`` wide, centred on this page."""
        side = side_mm * PX_PER_MM
        if self.size is None:
            return Placement((side, side), 0.0, 0.0, side)
        return place(self.size, self.landscape, self.margin, side, "--drawing-size")


A4 = Page()  # A4 landscape, as an AxiDraw V3 takes it, with 15 mm margins
TIGHT = "tight"  # the page is the drawing


def page_named(size: str, landscape: bool = True, margin_mm: float = 15.0) -> Page:
    """A page by name as vpype takes them (a4, a3, letter, 30x40cm), or ``tight``; the margin
    is a length already checked (``millimetres`` refuses a negative one)."""
    if size == TIGHT:
        return Page(None)
    try:
        paper = vp.convert_page_size(size)
    except ValueError:
        raise UserError(f"--page-size takes a4, a3, letter, WxH (30x40cm) or {TIGHT}, got {size!r}") from None
    return Page(paper, landscape, margin_mm * PX_PER_MM)


def place(
    page: tuple[float, float],
    landscape: bool,
    margin: float,
    width: float | None,
    width_option: str = "--width",
) -> Placement:
    """Centre the drawing on the page: ``width`` wide (``width_option`` sets it), or as large
    as the margins allow."""
    if margin < 0:
        raise UserError(
            f"--margin must be 0 or more, got {margin / PX_PER_MM:g}mm; give the space to keep free"
        )
    if width is not None and width <= 0:
        raise UserError(
            f"{width_option} must be more than 0, got {width / PX_PER_MM:g}mm; give the drawing's side"
        )
    w, h = sorted(page, reverse=landscape)
    room = min(w, h) - 2 * margin
    if room <= 0:
        raise UserError(
            f"--margin {margin / PX_PER_MM:.1f}mm leaves no room on a {_mm(w, h)} page; use a smaller one"
        )
    side = room if width is None else width
    if side > room + 1e-6:
        raise UserError(
            f"a {side / PX_PER_MM:.1f} mm drawing is larger than the {room / PX_PER_MM:.1f} mm "
            f"the {_mm(w, h)} page leaves inside its margins; use a smaller {width_option} or --margin, "
            f"a larger --page-size, or --page-size {TIGHT} (the page is the drawing)"
        )
    return Placement((w, h), (w - side) / 2, (h - side) / 2, side)


def _mm(w: float, h: float) -> str:
    return f"{w / PX_PER_MM:.0f}x{h / PX_PER_MM:.0f} mm"


def pen_line_collections(
    result: ExciteResult, pens: PenSet | None, placement: Placement
) -> list[tuple[vp.LineCollection, dict[str, object]]]:
    """One line collection per pen, clipped to the drawing's square, with vpype layer
    properties; a stroke wider than its pen is drawn in passes of it (``passes``)."""
    if result.settings.colors == "free":
        raise UserError("free colours have no pen to draw them; use --pens SET or --colors mono")
    return strokes_line_collections(result.scene, result.pens, pens, placement)


def strokes_line_collections(
    scene: StrokeScene, choice: Tensor | None, pens: PenSet | None, placement: Placement
) -> list[tuple[vp.LineCollection, dict[str, object]]]:
    """``pen_line_collections`` of strokes ``scene`` drawn with pens ``choice``."""
    inks = stroke_inks(scene, choice, pens, placement)
    out = []
    for name, members in pen_layers(scene.n_paths, choice, pens):
        if pens is not None:
            color = next(p for p in pens.pens if p.name == name).color
        else:
            r, g, b = (round(float(v) * 255) for v in scene.colors[members[0]])
            color = f"#{r:02x}{g:02x}{b:02x}"
        collection = vp.LineCollection([line for i in members for line in inks[i].lines])
        props = {
            vp.METADATA_FIELD_NAME: name,
            vp.METADATA_FIELD_COLOR: vp.Color(color),
            vp.METADATA_FIELD_PEN_WIDTH: inks[members[0]].pen,
        }
        out.append((collection, props))
    return out


@dataclass(frozen=True)
class Ink:
    """One stroke as its pen draws it: pen-down lines (complex, vpype pixels on the page, cut
    to the drawing's square) and the pen's width."""

    lines: list[np.ndarray]
    pen: float

    @property
    def paths(self) -> list[np.ndarray]:
        """The lines as N x 2 arrays."""
        return [np.stack([line.real, line.imag], 1) for line in self.lines]


def stroke_inks(
    scene: StrokeScene, choice: Tensor | None, pens: PenSet | None, placement: Placement
) -> list[Ink]:
    """Each stroke of ``scene`` on paper: in as many passes of its pen (``choice``; mono and
    free colours, one layer: a pen as wide as its first stroke) as its width needs."""
    scale = placement.side / scene.width
    origin = np.array([placement.x, placement.y])
    lines = [origin + scale * p.double().numpy() for p in polylines(scene, TOLERANCE_MM * PX_PER_MM / scale)]
    widths = (scene.widths.double() * scale).tolist()
    chosen = choice.tolist() if choice is not None else [None] * scene.n_paths
    x, y, side = placement.x, placement.y, placement.side
    inks = []
    for line, width, pen in zip(lines, widths, chosen, strict=True):
        drawn_with = pens.pens[pen].width_mm * PX_PER_MM if pens is not None else widths[0]
        collection = vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in passes(line, width, drawn_with)])
        collection.crop(x, y, x + side, y + side)
        inks.append(Ink(list(collection), drawn_with))
    return inks


def plot_document(
    collections: list[tuple[vp.LineCollection, dict[str, object]]], placement: Placement
) -> vp.Document:
    """The pens' line collections on their page, merged and sorted for the plotter."""
    doc = vp.Document(page_size=placement.page)
    for collection, props in collections:
        layer_id = doc.free_id()
        doc.add(collection, layer_id)
        for key, value in props.items():
            doc.layers[layer_id].set_property(key, value)
    return vpype_cli.execute("linemerge linesort", document=doc)
