"""Units plotkit works in, each constant in one place: millimetres, vpype pixels, motor
steps, colours and durations as plotter users write them (90s, 20m, 1h30m)."""

from __future__ import annotations

import math
import re

import vpype as vp

from plotkit.errors import UserError

PX_PER_MM = vp.UNITS["mm"]  # vpype's unit is the CSS pixel, 96 per inch
MM_PER_INCH = vp.UNITS["in"] / PX_PER_MM
# AxiDraw motors: 2032 steps per inch at 16x microstepping (EM,1,1), 80 per mm
STEPS_PER_MM = 2032 / MM_PER_INCH

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def hex_to_rgb(color: str) -> tuple[float, float, float]:
    """'#rrggbb' as red, green and blue in [0, 1]."""
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def millimetres(text: str, option: str, zero: bool = False) -> float:
    """A vpype length ('15cm', '6in', '200mm', '300px') in millimetres. A bare number is
    refused: vpype reads it as pixels, and '10' meant as centimetres made a 2.65 mm drawing
    without a word. ``zero``: 0 is a length here (a margin), and needs no unit."""
    if _bare_number(text) and not (zero and float(text) == 0):
        raise UserError(f"{option} needs a unit, as in 10cm, 6in or 200mm; got {text}")
    try:
        mm = vp.convert_length(text) / PX_PER_MM
    except ValueError:
        raise UserError(f"{option} takes a length like 15cm, 6in or 200mm, got {text!r}") from None
    if not math.isfinite(mm):
        raise UserError(f"{option} takes a finite length like 15cm, got {text}")
    if mm < 0 or mm == 0 and not zero:
        raise UserError(f"{option} must be {'0 or more' if zero else 'more than 0'}, got {text}")
    return mm


def _bare_number(text: str) -> bool:
    """A finite number with no unit ('nan' and 'inf' are not lengths at all)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def parse_duration(text: str, option: str) -> float:
    """Seconds in ``text``: hours, minutes and seconds, each optional, in that order."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise UserError(f"{option} takes a duration such as 90s, 20m or 1h30m, got {text!r}")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    seconds = h * 3600 + m * 60 + s
    if seconds <= 0:
        raise UserError(f"{option} must be longer than zero, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    minutes, s = divmod(round(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m{s:02d}s" if hours else f"{m}m{s:02d}s"
