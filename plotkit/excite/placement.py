"""Put an optimized drawing on paper: real units, one vpype layer per pen."""

from __future__ import annotations

from dataclasses import dataclass

import vpype as vp

from optim.excite import ExciteResult
from optim.render.flatten import polylines
from plotkit.errors import UserError
from plotkit.excite.outputs import pen_layers
from plotkit.presets import PenSet
from plotkit.units import PX_PER_MM

TOLERANCE_MM = 0.02  # flattening error, well under a plotter's step and a pen's wobble


@dataclass(frozen=True)
class Placement:
    """A square drawing of side ``side`` at (x, y) on a page, all in vpype pixels."""

    page: tuple[float, float]
    x: float
    y: float
    side: float


def place(page: tuple[float, float], landscape: bool, margin: float, width: float | None) -> Placement:
    """Centre the drawing on the page: ``width`` wide, or as large as the margins allow."""
    if margin < 0:
        raise UserError(
            f"--margin must be 0 or more, got {margin / PX_PER_MM:g}mm; give the space to keep free"
        )
    if width is not None and width <= 0:
        raise UserError(f"--width must be more than 0, got {width / PX_PER_MM:g}mm; give the drawing's side")
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
            f"the {_mm(w, h)} page leaves inside its margins; use a smaller --width or --margin, "
            "or a larger --page-size"
        )
    return Placement((w, h), (w - side) / 2, (h - side) / 2, side)


def _mm(w: float, h: float) -> str:
    return f"{w / PX_PER_MM:.0f}x{h / PX_PER_MM:.0f} mm"


def pen_line_collections(
    result: ExciteResult, pens: PenSet | None, placement: Placement
) -> list[tuple[vp.LineCollection, dict[str, object]]]:
    """One line collection per pen, clipped to the drawing's square, with vpype layer properties."""
    if result.settings.colors == "free":
        raise UserError("free colours have no pen to draw them; use --pens SET or --colors mono")
    scene = result.scene
    scale = placement.side / scene.width
    origin = complex(placement.x, placement.y)
    lines = [
        origin + scale * (p[:, 0].double().numpy() + 1j * p[:, 1].double().numpy())
        for p in polylines(scene, TOLERANCE_MM * PX_PER_MM / scale)
    ]
    out = []
    for name, members in pen_layers(result, pens):
        collection = vp.LineCollection([lines[i] for i in members])
        collection.crop(placement.x, placement.y, placement.x + placement.side, placement.y + placement.side)
        if pens is not None:
            pen = next(p for p in pens.pens if p.name == name)
            color, width = pen.color, pen.width_mm * PX_PER_MM
        else:
            r, g, b = (round(float(v) * 255) for v in scene.colors[members[0]])
            color, width = f"#{r:02x}{g:02x}{b:02x}", float(scene.widths[members[0]]) * scale
        props = {
            vp.METADATA_FIELD_NAME: name,
            vp.METADATA_FIELD_COLOR: vp.Color(color),
            vp.METADATA_FIELD_PEN_WIDTH: width,
        }
        out.append((collection, props))
    return out
