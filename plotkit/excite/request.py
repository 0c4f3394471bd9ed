"""What the user asked of a drawing: its options, and the study they continue (``--from``).

Torch-free, so that a command line can gather and check its options before the optimizer
loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plotkit.excite.options import DrawingOptions, resolve
from plotkit.excite.sidecar import Sidecar, read_sidecar, study


@dataclass(frozen=True)
class DrawingRequest:
    options: DrawingOptions
    study: Sidecar | None = None  # the sidecar --from names, read once


def request(given: Mapping[str, Any]) -> DrawingRequest:
    """Options as typed (None: not given) over a recipe, a study and the defaults; the study's
    sidecar, when --from names one, is read here, once."""
    start = given.get("start")
    sidecar = read_sidecar(Path(start)) if start is not None else None
    return DrawingRequest(resolve(given, study(sidecar) if sidecar else None), sidecar)
