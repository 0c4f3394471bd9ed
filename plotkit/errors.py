"""How a plotkit command ends early: each error carries its message and its exit code.

Core functions raise these; only the CLI boundary (``plotkit.cli.boundary``) and the vpype
plugin turn them into a line on stderr and an exit code. Nothing here imports typer, rich
or torch, so every floor of plotkit can raise them.
"""

from __future__ import annotations


class PlotkitError(Exception):
    """A command cannot go on; the message says what happened and what to do next."""

    exit_code = 1


class UserError(PlotkitError):
    """Bad input from the user; the message names the problem and the fix."""

    exit_code = 2


class Interrupted(PlotkitError):
    """Stopped by Ctrl-C; the message says what was kept and how to resume."""

    exit_code = 130
