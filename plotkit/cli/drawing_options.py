"""The drawing options on a typer command, as vpype's decorators add theirs.

``@drawing_options()`` gives a command one typer option per field of ``DrawingOptions``,
each in its help panel, and hands the command what they ask for as one typed
``DrawingRequest`` (parameter ``asked``) instead of forty keyword arguments. Typer reads a
command's options from its signature, so the decorator writes that signature: the
command's own parameters, then the drawing options.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer
from rich.markup import escape

from plotkit.errors import UserError
from plotkit.excite.options import FIELDS, GROUPS, flag, help_text, spec
from plotkit.excite.request import request


def _parameter(name: str, hidden: bool) -> inspect.Parameter:
    """A keyword parameter typer reads as option ``name`` (None: not given)."""
    s = spec(name)
    declaration = f"{flag(name)}/--no-{flag(name)[2:]}" if s.kind is bool else flag(name)
    option = typer.Option(declaration, help=escape(help_text(name)), rich_help_panel=s.group, hidden=hidden)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[s.kind | None, option]
    )


def _panel(parameter: inspect.Parameter) -> int:
    """Where a parameter's help panel comes in ``--help``: the groups' order, untitled first."""
    panels = [getattr(m, "rich_help_panel", None) for m in getattr(parameter.annotation, "__metadata__", ())]
    panel = next((p for p in panels if p), None)
    return GROUPS.index(panel) + 1 if panel in GROUPS else 0


def drawing_options(refused: Mapping[str, str] | None = None) -> Callable:
    """Decorate a command taking ``asked: DrawingRequest``; options named in ``refused`` are
    hidden and, when given anyway, refused in one line with the reason."""
    refused = dict(refused or {})

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "asked"]
        names = [f.name for f in FIELDS]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            given = {name: kwargs.pop(name) for name in names}
            for name, why in refused.items():
                if given[name] is not None:
                    raise UserError(f"{command.__name__} takes no {flag(name)}: {why}")
            command(**kwargs, asked=request(given))

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        params += [_parameter(name, name in refused) for name in names]
        wrapper.__signature__ = inspect.Signature(sorted(params, key=_panel))  # type: ignore[attr-defined]
        return wrapper

    return decorate
