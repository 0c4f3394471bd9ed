"""The ``plotkit`` typer app: every command, registered in the order ``--help`` lists them."""

from __future__ import annotations

import typer

from plotkit.cli import excite_commands, plot_commands

app = typer.Typer(
    help="Neuron-excitation drawings for pen plotters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Neuron-excitation drawings for pen plotters."""


app.command()(excite_commands.render)
app.command()(excite_commands.layers)
app.command("excite")(excite_commands.excite)
app.command()(excite_commands.presets)
app.command()(plot_commands.estimate)
app.command()(plot_commands.plot)
app.command()(plot_commands.preview)
app.command()(plot_commands.emulate)
