"""The ``plotkit`` command line: thin typer wrappers over plotkit's core functions."""

from __future__ import annotations

import inspect
import time
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from optim.models import list_layers, load_model
from plotkit.durations import format_duration
from plotkit.emulator import EBBEmulator, Faults
from plotkit.errors import UserError, exits_cleanly
from plotkit.excite_options import (
    BY_NAME,
    EXCITE_OPTIONS,
    millimetres,
    settings_from_options,
    typer_parameters,
)
from plotkit.planner import estimate as estimate_plot
from plotkit.plot_input import check_fits, read_drawing
from plotkit.plot_terminal import DEFAULT_PLOTTER, PlotArgs, run_plot
from plotkit.presets import load_plotter, preset_files, read_pen_set, read_plotter, read_recipe
from plotkit.preview import preview_image
from plotkit.progress import run_excite
from plotkit.rasterize import EXAMPLE_SVG, rasterize_svg

app = typer.Typer(
    help="Neuron-excitation drawings for pen plotters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


class BlendChoice(StrEnum):
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


@app.command()
@exits_cleanly
def layers(
    model: Annotated[str, typer.Argument(help="Torchvision model name, e.g. vgg16, resnet18.")],
    size: Annotated[int, typer.Option(help="Input side used to report map sizes.")] = 224,
) -> None:
    """List a model's layers with their channel counts, for --layer and --objective."""
    net, _ = load_model(model, "random")
    table = Table("layer", "torchvision node", "channels", "map", box=None)
    for info in list_layers(net, size):
        table.add_row(info.name, info.node, str(info.channels), f"{info.height}x{info.width}")
    console.print(table)


def excite(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="SVG to write; PNG and JSON go beside it.")
    ] = Path("drawing.svg"),
    drawing_size: Annotated[
        str, typer.Option(help="Side of the finished drawing on paper (15cm, 6in, 200mm).")
    ] = "15cm",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the checkpoint beside OUTPUT.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    **values: Any,
) -> None:
    """Optimize pen strokes that make a neuron fire; write SVG, PNG and JSON."""
    size_mm = millimetres(drawing_size, "--drawing-size")
    run = settings_from_options(values, size_mm)
    result, sidecar = run_excite(
        run, save=output, save_option="--output", size_mm=size_mm, resume=resume, quiet=quiet
    )
    png = output.with_suffix(".png")
    console.print(
        f"Wrote {output}, {png} and {sidecar}: activation {result.initial_activation:.4g} -> "
        f"{result.final_activation:.4g} in {result.seconds:.0f} s ({result.weights_label} weights)",
        highlight=False,
    )


# The shared optimizer options join excite's own: one definition for this CLI and vpype.
_own = [
    p for p in inspect.signature(excite, eval_str=True).parameters.values() if p.kind is not p.VAR_KEYWORD
]
excite.__signature__ = inspect.Signature([*_own, *typer_parameters(EXCITE_OPTIONS)])  # type: ignore[attr-defined]
app.command()(exits_cleanly(excite))


@app.command()
@exits_cleanly
def presets() -> None:
    """List pen sets, plotter models and recipes, and the file each comes from."""
    pens = Table("pen set", "pens", "file", title="pens", box=None, title_justify="left")
    for name, path in preset_files("pens").items():
        listed = ", ".join(f"[{p.color}]■[/] {p.name} {p.width_mm:g} mm" for p in read_pen_set(path).pens)
        pens.add_row(name, listed, str(path))
    plotters = Table(
        "plotter", "travel", "pen down / up", "file", title="plotters", box=None, title_justify="left"
    )
    for name, path in preset_files("plotters").items():
        p = read_plotter(path)
        plotters.add_row(
            name,
            f"{p.travel_x_mm:g} x {p.travel_y_mm:g} mm",
            f"{p.speed_pendown_mm_s:g} / {p.speed_penup_mm_s:g} mm/s",
            str(path),
        )
    recipes = Table("recipe", "what", "file", title="recipes (--preset)", box=None, title_justify="left")
    for name, path in preset_files("recipes").items():
        read_recipe(path, BY_NAME)
        recipes.add_row(
            name, tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""), str(path)
        )
    for table in (pens, plotters, recipes):
        console.print(table)


def _drawing_for_plotter(svg: Path, plotter: str, optimize: bool):
    drawing = read_drawing(svg, optimize)
    model = load_plotter(plotter)
    check_fits(drawing, model)
    return drawing, model


@app.command()
@exits_cleanly
def estimate(
    svg: Annotated[Path, typer.Argument(help="Multi-layer SVG to plot (one layer per pen).")],
    plotter: Annotated[str, typer.Option(help="Plotter preset (plotkit presets).")] = "axidraw-v3",
    optimize: Annotated[bool, typer.Option("--optimize", help="Merge and sort lines first (vpype).")] = False,
) -> None:
    """Plotting time, pen-down length, pen-up travel and number of lifts."""
    drawing, model = _drawing_for_plotter(svg, plotter, optimize)
    e = estimate_plot(drawing, model)
    table = Table(box=None, show_header=False)
    table.add_row("time", format_duration(e.seconds))
    table.add_row("drawing time (pen down)", format_duration(e.drawing_seconds))
    table.add_row("pen-down length", f"{e.pen_down_mm / 1000:.2f} m")
    table.add_row("pen-up travel", f"{e.pen_up_mm / 1000:.2f} m")
    table.add_row("pen lifts", str(e.lifts))
    table.add_row("layers (pens)", str(e.layers))
    console.print(table)


class BackendChoice(StrEnum):
    ebb = "ebb"
    axidraw = "axidraw"
    sim = "sim"


@app.command()
@exits_cleanly
def plot(
    svg: Annotated[Path, typer.Argument(help="Multi-layer SVG to plot (one layer per pen, in order).")],
    port: Annotated[
        str | None, typer.Option(help="Serial port of the AxiDraw (default: the first one found on USB).")
    ] = None,
    plotter: Annotated[str, typer.Option(help="Plotter preset (plotkit presets).")] = DEFAULT_PLOTTER,
    backend: Annotated[
        BackendChoice,
        typer.Option(help="ebb: plotkit's own driver; axidraw: pyaxidraw; sim: no device (--dry-run)."),
    ] = BackendChoice.ebb,
    pause_every: Annotated[
        str | None, typer.Option(help="Pause after this much drawing time to refresh the pen (20m, 1h30m).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Go on from where the last plot stopped.")] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Ask nothing: no pauses, no pen-change prompts (no terminal needed)."),
    ] = False,
    optimize: Annotated[bool, typer.Option("--optimize", help="Merge and sort lines first (vpype).")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Simulate on a virtual clock: time and pauses; nothing sent.")
    ] = False,
) -> None:
    """Plot a drawing with progress and ETA, pen-wear pauses and exact resume."""
    args = PlotArgs(
        svg, plotter, backend.value, port, pause_every, resume, yes, optimize, dry_run or backend == "sim"
    )
    code = run_plot(args)
    if code:
        raise typer.Exit(code)


@app.command()
@exits_cleanly
def preview(
    svg: Annotated[Path, typer.Argument(help="Multi-layer SVG to plot.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write.")] = Path("preview.png"),
    pen_width: Annotated[
        str | None, typer.Option(help="Pen width for every layer (0.5mm); default: each layer's own.")
    ] = None,
    travel: Annotated[bool, typer.Option("--travel", help="Overlay pen-up moves in red.")] = False,
    dpi: Annotated[float, typer.Option(help="Resolution of the PNG.")] = 100,
) -> None:
    """The drawing on its paper with each layer's real pen width and colour."""
    drawing = read_drawing(svg)
    width = millimetres(pen_width, "--pen-width") if pen_width is not None else None
    if dpi <= 0 or dpi > 1200:
        raise UserError(f"--dpi must be in (0, 1200], got {dpi:g}")
    image = preview_image(drawing, dpi, width, travel)
    image.save(output)
    console.print(f"Wrote {output} ({image.width}x{image.height} px at {dpi:g} dpi)")


@app.command()
@exits_cleanly
def emulate(
    record: Annotated[
        Path | None, typer.Option(help="Write what was drawn to this SVG when stopped.")
    ] = None,
    plotter: Annotated[str, typer.Option(help="Plotter preset: the paper size of --record.")] = "axidraw-v3",
    speedup: Annotated[float, typer.Option(help="Run moves this many times faster than a real board.")] = 1.0,
    drop_after: Annotated[
        int | None, typer.Option(help="Fault: drop the connection after N commands.")
    ] = None,
) -> None:
    """An EiBotBoard on a pseudo-terminal, for trying plots without a plotter (Ctrl-C stops)."""
    if speedup <= 0:
        raise UserError(f"--speedup must be positive, got {speedup:g}")
    model = load_plotter(plotter)
    board = EBBEmulator(speedup=speedup, faults=Faults(drop_after=drop_after))
    console.print(f"EiBotBoard emulator on [bold]{board.start()}[/] (Ctrl-C to stop)", highlight=False)
    try:
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        board.stop()
    paper = board.paper
    console.print(
        f"{len(board.commands)} commands, {len(paper.strokes)} strokes, {paper.move_seconds:.1f} s of moves"
    )
    if record is not None:
        paper.write_svg(str(record), (model.travel_x_mm, model.travel_y_mm))
        console.print(f"Wrote {record}")
