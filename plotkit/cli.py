"""The ``plotkit`` command line: thin typer wrappers over plotkit's core functions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plotkit.errors import exits_cleanly
from plotkit.rasterize import EXAMPLE_SVG, rasterize_svg

app = typer.Typer(
    help="Neuron-excitation drawings for pen plotters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


class BlendChoice(str, Enum):
    multiply = "multiply"
    over = "over"


@app.callback()
def main() -> None:
    """Neuron-excitation drawings for pen plotters."""


@app.command()
@exits_cleanly
def render(
    svg: Annotated[
        Path | None, typer.Argument(help="SVG of stroked paths (default: the bundled example drawing).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="PNG to write (default: IN.png).")
    ] = None,
    size: Annotated[int | None, typer.Option(help="Longest side of the PNG in pixels.")] = None,
    blend: Annotated[
        BlendChoice, typer.Option(help="multiply: ink on paper; over: what an SVG viewer shows.")
    ] = BlendChoice.multiply,
) -> None:
    """Rasterize an SVG of stroked paths with plotkit's differentiable renderer."""
    svg = svg if svg is not None else EXAMPLE_SVG
    output = output if output is not None else Path(svg.name).with_suffix(".png")
    image = rasterize_svg(svg, size=size, blend=blend.value)
    image.save(output)
    console.print(f"Wrote {output} ({image.width}x{image.height} px, {blend.value} blend)")
