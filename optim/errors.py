"""The optimizer's errors: bad settings or input, reported to the user in one line.

Kept free of torch so that a command line can catch them without loading it.
"""

from __future__ import annotations

from typing import Any


class OptimError(Exception):
    """Bad input or settings for the optimizer; the message names the problem and the fix."""


class ModelError(OptimError, ValueError):
    """An unknown model or layer, unusable weights, or a channel out of range."""


class ObjectiveError(OptimError, ValueError):
    """An objective string that does not parse, or names a channel out of range."""


class SvgError(OptimError, ValueError):
    """An SVG that cannot be turned into a stroke scene; the message says why."""


class ExciteError(OptimError, RuntimeError):
    """Settings out of range, or an optimization that cannot go on (non-finite loss or
    gradients, a checkpoint made with other settings)."""


class OverBudget(ExciteError):
    """A finished drawing none of whose strokes fits the budget, even alone; ``alone`` is its
    best stroke for the cost, as a drawing (scene, pens), for the caller to price in its terms;
    ``drawing`` its place among the drawings of a batch."""

    def __init__(self, message: str, alone: tuple[Any, Any], drawing: int = 0) -> None:
        super().__init__(message)
        self.alone, self.drawing = alone, drawing

    def __reduce__(self) -> tuple[type, tuple[str, tuple[Any, Any], int]]:
        """Pickled whole, as a Ray task sends it back."""
        return type(self), (str(self), self.alone, self.drawing)


class Overdrawn(OverBudget):
    """A finished drawing none of whose strokes keeps within the overdraw limit, even alone
    (each inks some spot of its own too often: a loop, overlapping passes); ``alone`` is its
    strongest stroke, as a drawing."""
