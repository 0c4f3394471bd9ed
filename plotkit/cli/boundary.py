"""Where plotkit's errors become a line on stderr and an exit code: the only place."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from optim.errors import OptimError
from plotkit.errors import PlotkitError, UserError

P = ParamSpec("P")
R = TypeVar("R")

stderr = Console(stderr=True)
# Without a terminal (a pipe, a file) rich would fit tables to 80 columns and cut them: lines
# stay whole instead.
stdout = Console(width=None if sys.stdout.isatty() else 100_000)


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command; a plotkit or optimizer error ends it with its message and exit code.

    Bad input (``UserError``, the optimizer's errors) is "Error: ..." and exit 2; a stop
    (Ctrl-C, a lost plotter) says what was kept and how to go on, with its own code, and
    with ``PLOTKIT_DEBUG=1`` the traceback of the fault behind it."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (UserError, OptimError) as exc:
            stderr.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(UserError.exit_code) from None
        except PlotkitError as exc:
            if os.environ.get("PLOTKIT_DEBUG") == "1" and exc.__cause__ is not None:
                traceback.print_exception(exc.__cause__)
            stderr.print(escape(str(exc)), highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper
