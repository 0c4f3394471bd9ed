"""The ``plotkit`` typer app: every command, registered in the order ``--help`` lists them."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from plotkit.cli import excite_commands, plot_commands, serve_command
from plotkit.cli.boundary import OneLineUsage

DISTRIBUTION = "vpype-neuronexc"  # the name plotkit is installed under (pyproject.toml)

app = typer.Typer(
    cls=OneLineUsage,
    help="Neuron-excitation drawings for pen plotters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"plotkit {metadata.version(DISTRIBUTION)}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Neuron-excitation drawings for pen plotters."""


app.command()(excite_commands.render)
app.command()(excite_commands.layers)
app.command("excite")(excite_commands.excite)
app.command("gallery")(excite_commands.gallery)
app.command()(excite_commands.presets)
app.command()(plot_commands.estimate)
app.command()(plot_commands.plot)
app.command()(plot_commands.preview)
app.command()(plot_commands.emulate)
app.command()(serve_command.serve)
