"""Presets: TOML files for pens, plotter models and recipes.

Looked up, first match wins, in the folders of ``$PLOTKIT_PRESETS`` (``:``-separated),
then ``~/.config/plotkit/presets``, then the ``data/`` folder shipped inside this package;
each folder holds ``pens/``, ``plotters/`` and ``recipes/``, one ``NAME.toml`` per preset.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from plotkit.errors import UserError
from plotkit.units import hex_to_rgb

BUNDLED = Path(__file__).resolve().parent / "data"
KINDS = ("pens", "plotters", "recipes")
DEFAULT_PLOTTER = "axidraw-v3"  # what plot, estimate and emulate use without --plotter
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Pen:
    name: str
    color: str  # "#rrggbb"
    width_mm: float

    @property
    def rgb(self) -> tuple[float, float, float]:
        return hex_to_rgb(self.color)


@dataclass(frozen=True)
class PenSet:
    name: str
    description: str
    pens: tuple[Pen, ...]
    source: Path


@dataclass(frozen=True)
class Plotter:
    """A plotter model: travel and the motion and pen settings plots start from."""

    name: str
    description: str
    travel_x_mm: float
    travel_y_mm: float
    speed_pendown_mm_s: float
    speed_penup_mm_s: float
    accel_pendown_mm_s2: float
    accel_penup_mm_s2: float
    cornering_mm: float
    pen_up_percent: float
    pen_down_percent: float
    pen_lift_s: float
    pen_drop_s: float
    axidraw_model: float  # pyaxidraw's options.model: 1 V3/SE-A4, 2 A3, 4 MiniKit ...


def preset_dirs() -> list[Path]:
    env = [Path(p) for p in os.environ.get("PLOTKIT_PRESETS", "").split(os.pathsep) if p]
    return [*env, Path.home() / ".config" / "plotkit" / "presets", BUNDLED]


def preset_files(kind: str) -> dict[str, Path]:
    """Every preset name of this kind and the file it comes from (user folders first)."""
    found: dict[str, Path] = {}
    for folder in preset_dirs():
        for path in sorted((folder / kind).glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def _find(kind: str, name: str) -> Path:
    files = preset_files(kind)
    if name not in files:
        known = ", ".join(files) or "none"
        raise UserError(f"unknown {kind[:-1]} preset {name!r}; known: {known} (plotkit presets lists them)")
    return files[name]


def _bad(path: Path, key: str, why: str) -> UserError:
    return UserError(f"{path}: {key} {why}; fix the preset file")


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix the preset file") from None


def read_pen_set(path: Path) -> PenSet:
    data = _toml(path)
    unknown = set(data) - {"description", "pen"}
    if unknown:
        raise _bad(path, f"key {sorted(unknown)[0]!r}", "is not known (description, [[pen]])")
    entries = data.get("pen")
    if not isinstance(entries, list) or not entries:
        raise _bad(path, "[[pen]]", "is missing: list at least one pen")
    pens = []
    for i, entry in enumerate(entries):
        where = f"pen {i + 1}"
        unknown = set(entry) - {"name", "color", "width_mm"}
        if unknown:
            raise _bad(path, f"{where} key {sorted(unknown)[0]!r}", "is not known (name, color, width_mm)")
        name, color, width = entry.get("name"), entry.get("color"), entry.get("width_mm")
        if not isinstance(name, str) or not name:
            raise _bad(path, f"{where} name", "must be a non-empty string")
        if not isinstance(color, str) or not _HEX.fullmatch(color):
            raise _bad(path, f"{where} color", f"must be '#rrggbb', got {color!r}")
        if not isinstance(width, int | float) or not 0 < width <= 20:
            raise _bad(
                path, f"{where} width_mm", f"must be a number of millimetres in (0, 20], got {width!r}"
            )
        if any(p.name == name for p in pens):
            raise _bad(path, f"{where} name", f"repeats {name!r}: each pen of a set needs its own name")
        pens.append(Pen(name, color.lower(), float(width)))
    return PenSet(path.stem, str(data.get("description", "")), tuple(pens), path)


def load_pen_set(name: str) -> PenSet:
    return read_pen_set(_find("pens", name))


def read_plotter(path: Path) -> Plotter:
    data = _toml(path)
    numbers = [f.name for f in fields(Plotter) if f.name not in ("name", "description")]
    unknown = set(data) - {"description", *numbers}
    if unknown:
        raise _bad(path, f"key {sorted(unknown)[0]!r}", f"is not known ({', '.join(numbers)})")
    for key in numbers:
        value = data.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise _bad(path, f"key {key!r}", f"must be a non-negative number, got {value!r}")
    return Plotter(path.stem, str(data.get("description", "")), *(float(data[k]) for k in numbers))


def load_plotter(name: str) -> Plotter:
    return read_plotter(_find("plotters", name))


def read_recipe(path: Path, kinds: Mapping[str, type]) -> dict[str, Any]:
    """Option values from a recipe; ``kinds`` maps option names to the type each takes."""
    data = _toml(path)
    recipe = {}
    for key, value in data.items():
        if key == "description":
            continue
        name = key.replace("-", "_")
        if name not in kinds or name == "preset":
            raise _bad(path, f"key {key!r}", "is not an option of plotkit excite")
        kind = kinds[name]
        ok = isinstance(value, kind) or (
            kind is float and isinstance(value, int) and not isinstance(value, bool)
        )
        if not ok or (kind is int and isinstance(value, bool)):
            raise _bad(path, f"key {key!r}", f"must be {kind.__name__}, got {value!r}")
        recipe[name] = float(value) if kind is float else value
    return recipe


def load_recipe(name: str, kinds: Mapping[str, type]) -> dict[str, Any]:
    return read_recipe(_find("recipes", name), kinds)
