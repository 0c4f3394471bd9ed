"""User-facing errors: one line, exit code 2, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from optim.excite import ExciteError
from optim.models import ModelError
from optim.objectives import ObjectiveError
from optim.render.svg import SvgError

P = ParamSpec("P")
R = TypeVar("R")

stderr = Console(stderr=True)


class UserError(Exception):
    """Bad input from the user; the message names the problem and the fix."""


# Everything a command reports as one line and exit code 2 rather than a traceback.
USER_ERRORS = (UserError, SvgError, ModelError, ObjectiveError, ExciteError)


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn user errors raised by a CLI command into one line on stderr and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as exc:
            stderr.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper
