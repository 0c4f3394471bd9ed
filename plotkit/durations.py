"""Durations as plotter users write them (90s, 20m, 1h30m) and as plotkit prints them."""

from __future__ import annotations

import re

from plotkit.errors import UserError

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


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
