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
from typer._click import exceptions as click  # typer vendors click from 0.26 (pinned in pyproject)
from typer.core import TyperGroup

from optim.errors import OptimError
from plotkit.errors import PlotkitError, UserError
from plotkit.excite.options import flagged

P = ParamSpec("P")
R = TypeVar("R")

stderr = Console(stderr=True)
# Without a terminal (a pipe, a file) rich would fit tables to 80 columns and cut them: lines
# stay whole instead.
stdout = Console(width=None if sys.stdout.isatty() else 100_000)


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command; a plotkit or optimizer error ends it with its message and exit code.

    Bad input (``UserError``, the optimizer's errors, whose `settings` become --flags) is
    "Error: ..." and exit 2; a stop (Ctrl-C, a lost plotter) says what was kept and how to go
    on, with its own code, and with ``PLOTKIT_DEBUG=1`` the traceback of the fault behind it."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (UserError, OptimError) as exc:
            message = flagged(str(exc))  # the optimizer names settings; the user reads flags
            stderr.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(UserError.exit_code) from None
        except PlotkitError as exc:
            if os.environ.get("PLOTKIT_DEBUG") == "1" and exc.__cause__ is not None:
                traceback.print_exception(exc.__cause__)
            stderr.print(escape(str(exc)), highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


class OneLineUsage(TyperGroup):
    """plotkit's command group: click's own errors (an unknown option, ``--steps 1.5``) end as
    plotkit's do, one "Error:" line and their exit code (2 for usage), not typer's boxed panel
    under the usage text."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):  # type: ignore[no-untyped-def]
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.NoArgsIsHelpError as exc:  # the help is already printed
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            stderr.print(f"[bold red]Error:[/] {escape(_with_help(exc))}", highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            stderr.print("Aborted.", highlight=False)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _with_help(exc: click.ClickException) -> str:
    """The error's message, and where a usage error's command lists its options."""
    message = exc.format_message().replace("\n", " ")
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        return f"{message.rstrip('.')}; see '{ctx.command_path} --help'"
    return message
