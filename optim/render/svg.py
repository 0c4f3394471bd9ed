"""Stroke scenes to and from SVG: one stroked, unfilled ``<path>`` per stroke.

Reading goes through svgelements (vpype's own SVG parser), so transforms, viewBox,
units and every path command are honoured; lines, quadratic curves and arcs become
exact or close cubic segments, and each subpath becomes one stroke.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import svgelements as se
import torch

from optim.atomic import write_atomic
from optim.errors import SvgError
from optim.render.scene import StrokeScene

_NOT_FINITE = re.compile(r"nan|inf", re.IGNORECASE)


def _num(v: float) -> str:
    return format(float(v), ".9g")


def scene_to_svg(
    scene: StrokeScene,
    layers: Sequence[tuple[str, Sequence[int]]] | None = None,
    size_mm: float | None = None,
) -> str:
    """SVG text of ``scene``: canvas pixels as user units, round caps and joins.

    ``layers`` puts the listed strokes in Inkscape layer groups, which vpype reads as
    its layers (one per pen). ``size_mm`` gives the canvas's longest side a physical
    size, stroke widths scaling with it; without it the SVG is sized in pixels.
    """
    w, h = scene.width, scene.height
    if size_mm is not None:
        scale = size_mm / max(w, h)
        size = f'width="{_num(w * scale)}mm" height="{_num(h * scale)}mm"'
    else:
        size = f'width="{w}" height="{h}"'
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        f'version="1.1" {size} viewBox="0 0 {w} {h}">',
    ]
    points = scene.points.detach().cpu().tolist()
    starts = scene.path_offsets.tolist()
    for number, (name, members) in enumerate(
        layers if layers is not None else [(None, range(scene.n_paths))], 1
    ):
        if name is not None:
            lines.append(f'<g inkscape:groupmode="layer" inkscape:label="{escape(name)}" id="layer{number}">')
        for i in members:
            k = int(scene.segments[i])
            pts = points[starts[i] : starts[i] + 3 * k + 1]
            d = [f"M {_num(pts[0][0])} {_num(pts[0][1])}"]
            for s in range(k):
                c = pts[3 * s + 1 : 3 * s + 4]
                d.append("C " + " ".join(f"{_num(x)} {_num(y)}" for x, y in c))
            r, g, b = (round(float(v) * 255) for v in scene.colors[i].detach().clamp(0, 1))
            lines.append(
                f'  <path d="{" ".join(d)}" fill="none" stroke="rgb({r}, {g}, {b})" '
                f'stroke-opacity="{_num(scene.opacities[i])}" stroke-width="{_num(scene.widths[i])}" '
                'stroke-linecap="round" stroke-linejoin="round"/>'
            )
        if name is not None:
            lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def write_svg(scene: StrokeScene, path: str | Path) -> None:
    write_atomic(path, scene_to_svg(scene))


def _as_cubics(segment: se.PathSegment) -> list[tuple[complex, complex, complex, complex]]:
    s, e = complex(segment.start), complex(segment.end)
    if isinstance(segment, se.CubicBezier):
        return [(s, complex(segment.control1), complex(segment.control2), e)]
    if isinstance(segment, se.QuadraticBezier):
        c = complex(segment.control)
        return [(s, s + 2 / 3 * (c - s), e + 2 / 3 * (c - e), e)]
    if isinstance(segment, se.Arc):
        return [cubic for part in segment.as_cubic_curves() for cubic in _as_cubics(part)]
    if isinstance(segment, (se.Line, se.Close)):
        return [] if s == e else [(s, s + (e - s) / 3, s + 2 * (e - s) / 3, e)]
    return []


def _strokes_of(shape: se.Path) -> list[list[complex]]:
    """The shape's subpaths as cubic control points, one list per subpath of two points or more."""
    strokes: list[list[complex]] = []
    stroke: list[complex] = []
    for segment in [*shape.segments(), se.Move()]:
        if isinstance(segment, se.Move):
            if len(stroke) > 1:
                strokes.append(stroke)
            stroke = []
            continue
        for cubic in _as_cubics(segment):
            stroke.extend(cubic if not stroke else cubic[1:])
    return strokes


def read_svg(path: str | Path, dtype: torch.dtype = torch.float32) -> StrokeScene:
    """Every stroked shape of the SVG at ``path`` as a scene in its pixel units."""
    path = Path(path)
    if not path.is_file():
        raise SvgError(f"{path}: no such file; check the path")
    try:
        doc = se.SVG.parse(str(path), reify=True)
        size = (float(doc.width or 0.0), float(doc.height or 0.0))  # odd units raise here
    except Exception as exc:  # svgelements raises ElementTree and value errors alike
        raise SvgError(f"{path}: not a readable SVG ({exc}); export it again as plain SVG") from None
    if not all(math.isfinite(side) and side >= 0.5 for side in size):  # zero, NaN or infinite
        raise SvgError(
            f"{path}: the drawing has zero size (or NaN, or infinite); give the <svg> a width and height"
        )
    width, height = round(size[0]), round(size[1])

    paths, widths, colors, opacities = [], [], [], []
    for element in doc.elements():
        if not isinstance(element, se.Shape) or element.stroke is None or element.stroke.value is None:
            continue
        if _NOT_FINITE.search(str(element.values.get("d", ""))):
            raise SvgError(f"{path}: a path has NaN or infinite coordinates; fix or remove it")
        raw_opacity = element.values.get("stroke-opacity")
        opacity = float(raw_opacity) if raw_opacity is not None else element.stroke.opacity
        color = [element.stroke.red / 255, element.stroke.green / 255, element.stroke.blue / 255]
        shape = element if isinstance(element, se.Path) else se.Path(element)
        try:
            strokes = _strokes_of(shape)
        except (ValueError, TypeError, ArithmeticError):  # lengths svgelements cannot resolve
            raise SvgError(
                f"{path}: a shape has coordinates that are not numbers "
                "(NaN, infinite or unresolvable units); fix or remove it"
            ) from None
        for stroke in strokes:
            paths.append(torch.tensor([[z.real, z.imag] for z in stroke], dtype=dtype))
            widths.append(float(element.stroke_width))
            colors.append(color)
            opacities.append(opacity)
    if not paths:
        raise SvgError(f"{path}: no stroked paths to draw; give the shapes a stroke colour")
    scene = StrokeScene.from_paths(paths, widths, colors, opacities, width, height)
    if not all(math.isfinite(v) for v in (*scene.points.flatten().tolist(), *widths)):
        raise SvgError(f"{path}: a path has NaN or infinite coordinates; fix or remove it")
    return scene
