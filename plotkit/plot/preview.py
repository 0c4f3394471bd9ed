"""What the pen will really put down: the drawing at real scale on its paper, each layer with
its pen's width and colour, inks multiplied where they cross.

Drawn with Pillow, supersampled for anti-aliasing, so previewing needs no torch. Within a
layer a pen's ink is one coverage mask (a stroke crossing itself does not darken); layers
multiply, as inks on paper do.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from optim.atomic import save_image
from plotkit.errors import UserError
from plotkit.plot.drawing import PlotDrawing
from plotkit.units import MM_PER_INCH, hex_to_rgb

DEFAULT_PEN_MM = 0.3
TRAVEL = ("#e63333", 0.2, 0.6)  # colour, width in mm, opacity of pen-up moves
SUPERSAMPLE = 4  # coverage from a 4x4 grid per pixel
SUPERSAMPLED_PIXELS = 64_000_000  # above this, fewer subsamples: memory stays bounded
# The largest preview: about 1 GB of memory while drawing (21 bytes a pixel) and a PNG no
# viewer chokes on. A0 at 150 dpi is 35 megapixels; a 2 m square page at 100 dpi is 62.
MAX_PIXELS = 50_000_000
MAX_DPI = 1200
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")  # RGB formats Pillow writes
MAX_PEN_MM = 50.0  # wider than any marker; a wider line would take minutes to draw


def _mask(strokes: list[np.ndarray], width_px: float, size: tuple[int, int], factor: int) -> np.ndarray:
    """Coverage in [0, 1] of round-capped, round-joined strokes ``width_px`` wide."""
    w, h = size
    canvas = Image.new("L", (w * factor, h * factor), 0)
    draw = ImageDraw.Draw(canvas)
    line_width = max(1, round(width_px * factor))
    radius = line_width / 2
    for stroke in strokes:
        points = [tuple(p) for p in (stroke * factor).tolist()]
        if len(points) > 1:
            draw.line(points, fill=255, width=line_width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    if factor > 1:
        canvas = canvas.reduce(factor)
    coverage = np.asarray(canvas, np.float32)
    coverage /= 255
    return coverage


def preview_size(drawing: PlotDrawing, dpi: float) -> tuple[int, int]:
    """Width and height in pixels of the preview at ``dpi``: the page, or without one the
    drawing with its margin from home."""
    px = dpi / MM_PER_INCH
    page_w, page_h = page_size_mm(drawing)
    return max(1, round(page_w * px)), max(1, round(page_h * px))


def page_size_mm(drawing: PlotDrawing) -> tuple[float, float]:
    x0, y0, x1, y1 = drawing.bounds_mm
    return drawing.page_mm or (x1 + min(x0, 10), y1 + min(y0, 10))


def check_preview_size(drawing: PlotDrawing, dpi: float) -> None:
    """Refuse, before anything is allocated, a preview over ``MAX_PIXELS``, naming the page,
    the size and the ``--dpi`` that fits."""
    w, h = preview_size(drawing, dpi)
    if w * h <= MAX_PIXELS:
        return
    fitting = _two_digits_down(dpi * math.sqrt(MAX_PIXELS / (w * h)))
    page_w, page_h = page_size_mm(drawing)
    raise UserError(
        f"the preview of this {page_w:.0f} x {page_h:.0f} mm page would be {w} x {h} px "
        f"({w * h / 1e6:.0f} megapixels) at {dpi:g} dpi, over the {MAX_PIXELS / 1e6:.0f}-megapixel "
        f"limit; use --dpi {fitting:g} or less"
    )


def _two_digits_down(x: float) -> float:
    digits = 1 - math.floor(math.log10(x))
    return math.floor(x * 10**digits) / 10**digits


def check_preview_options(dpi: float, pen_width_mm: float | None) -> None:
    """Refuse a resolution or a pen width a preview cannot be drawn at (NaN included)."""
    if not 0 < dpi <= MAX_DPI:
        raise UserError(f"--dpi must be in (0, {MAX_DPI}], got {dpi:g}")
    if pen_width_mm is not None and not pen_width_mm <= MAX_PEN_MM:
        raise UserError(f"--pen-width must be at most {MAX_PEN_MM:g} mm, got {pen_width_mm:g} mm")


def check_output(path: Path, option: str = "-o") -> None:
    """Refuse, before any work, an image path that cannot be written: a folder, a device, a
    folder that does not exist, a suffix that names no image format it writes."""
    if path.is_dir() or not path.name:
        raise UserError(f"{option} {path} is a folder; give a file name such as {path / 'preview.png'}")
    if path.exists() and not path.is_file():
        raise UserError(f"{option} {path} is not a regular file; give a file name such as preview.png")
    if not path.parent.is_dir():
        raise UserError(f"{option} {path}: the folder {path.parent} does not exist; create it first")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise UserError(
            f"{option} {path}: the name must end in an image suffix, .png (or "
            f"{', '.join(IMAGE_SUFFIXES[1:])})"
        )


def save_preview(image: Image.Image, path: Path, option: str = "-o") -> None:
    """Write the image atomically; a path the system refuses is one line, exit 2."""
    try:
        save_image(image, path)
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write it ({exc.strerror or exc}); check the path") from None


def preview_image(
    drawing: PlotDrawing, dpi: float = 100, pen_width_mm: float | None = None, travel: bool = False
) -> Image.Image:
    """The page at ``dpi``; ``pen_width_mm`` overrides every layer's pen width. A preview over
    ``MAX_PIXELS`` is refused with ``UserError`` before anything is drawn."""
    check_preview_size(drawing, dpi)
    for layer in drawing.layers:
        if pen_width_mm is None and layer.pen_width_mm is not None and not layer.pen_width_mm <= MAX_PEN_MM:
            raise UserError(
                f"layer {layer.name!r} has a pen {layer.pen_width_mm:g} mm wide, over {MAX_PEN_MM:g} mm; "
                "give --pen-width or fix the drawing"
            )
    px = dpi / MM_PER_INCH
    size = preview_size(drawing, dpi)
    factor = max(1, min(SUPERSAMPLE, int((SUPERSAMPLED_PIXELS / (size[0] * size[1])) ** 0.5)))
    layers = [
        (layer.color, pen_width_mm or layer.pen_width_mm or DEFAULT_PEN_MM, 1.0, list(layer.strokes))
        for layer in drawing.layers
    ]
    if travel:
        here, moves = np.zeros(2), []
        for layer in drawing.layers:
            for stroke in layer.strokes:
                moves.append(np.stack([here, stroke[0]]))
                here = stroke[-1]
        layers.append((TRAVEL[0], TRAVEL[1], TRAVEL[2], moves))
    # One plane per channel, updated in place: memory is the planes, one mask and one temporary.
    planes = [np.ones((size[1], size[0]), np.float32) for _ in range(3)]
    for color, width_mm, opacity, strokes in layers:
        alpha = _mask([s * px for s in strokes], width_mm * px, size, factor)
        alpha *= opacity
        for plane, ink in zip(planes, hex_to_rgb(color), strict=True):
            if ink < 1:
                shade = alpha * (ink - 1)
                shade += 1  # 1 - alpha * (1 - ink): the ink's share of the light
                plane *= shade
                del shade
        del alpha
    channels = []
    for plane in planes:
        plane *= 255
        np.rint(plane, out=plane)
        channels.append(Image.fromarray(plane.astype(np.uint8), "L"))
    return Image.merge("RGB", channels)
