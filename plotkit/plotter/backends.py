"""Choosing a backend by name; device backends import their libraries only when chosen."""

from __future__ import annotations

from plotkit.errors import UserError
from plotkit.plotter.interface import Backend
from plotkit.plotter.sim import SimBackend
from plotkit.presets import Plotter

BACKENDS = ("ebb", "axidraw", "sim")
DEFAULT_BACKEND = "ebb"


def open_backend(name: str, plotter: Plotter, port: str | None) -> Backend:
    """The backend called ``name``."""
    if name == "sim":
        return SimBackend(plotter)
    if name == "ebb":
        from plotkit.plotter.ebb import EbbBackend

        return EbbBackend(plotter, port)
    if name == "axidraw":
        from plotkit.plotter.axidraw import AxiDrawBackend

        return AxiDrawBackend(plotter, port)
    raise UserError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
