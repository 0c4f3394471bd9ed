"""``plotkit render``, ``layers``, ``excite``, ``gallery`` and ``presets``: the optimizer's commands.

Torch is imported inside the commands that run it, so ``plotkit --help`` and the plotting
commands never load it.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from optim.atomic import save_image
from plotkit.cli.boundary import exits_cleanly, stderr
from plotkit.cli.boundary import stdout as console
from plotkit.cli.drawing_options import drawing_options
from plotkit.cli.progress import excite_bar, gallery_bar, summary
from plotkit.cli.signals import stops_as_ctrl_c
from plotkit.excite.options import KINDS
from plotkit.excite.request import DrawingRequest
from plotkit.presets import preset_files, read_pen_set, read_plotter, read_recipe
from plotkit.units import millimetres

Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bar.", rich_help_panel="Run")]


class BlendChoice(StrEnum):
    multiply = "multiply"
    over = "over"


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
    from plotkit.excite.rasterize import EXAMPLE_SVG, rasterize_svg

    svg = svg if svg is not None else EXAMPLE_SVG
    output = output if output is not None else Path(svg.name).with_suffix(".png")
    image, note = rasterize_svg(svg, size=size, blend=blend.value)
    if note is not None:
        stderr.print(f"Note: {note}.", highlight=False, soft_wrap=True)
    save_image(image, output)
    console.print(f"Wrote {output} ({image.width}x{image.height} px, {blend.value} blend)")


@exits_cleanly
def layers(
    model: Annotated[str, typer.Argument(help="Torchvision model name, e.g. vgg16, resnet18.")],
    size: Annotated[int, typer.Option(help="Input side used to report map sizes.")] = 224,
) -> None:
    """List a model's layers with their channel counts, for --layer and --objective."""
    from optim.models import list_layers, load_model

    net, _ = load_model(model, "random")
    table = Table("layer", "torchvision node", "channels", "map", box=None)
    for info in list_layers(net, size):
        table.add_row(info.name, info.node, str(info.channels), f"{info.height}x{info.width}")
    console.print(table)


@exits_cleanly
@drawing_options()
def excite(
    asked: DrawingRequest,
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="SVG to write; PNG and JSON go beside it.", rich_help_panel="Output"
        ),
    ] = Path("drawing.svg"),
    drawing_size: Annotated[
        str,
        typer.Option(
            help="Side of the finished drawing on paper (15cm, 6in, 200mm).", rich_help_panel="Output"
        ),
    ] = "15cm",
    page_size: Annotated[
        str,
        typer.Option(
            help="Paper the drawing is centred on: a4, a3, letter, WxH (30x40cm), or tight (the drawing's "
            "own size).",
            rich_help_panel="Output",
        ),
    ] = "a4",
    portrait: Annotated[
        bool,
        typer.Option(
            "--portrait", help="Turn the page upright (default: landscape).", rich_help_panel="Output"
        ),
    ] = False,
    margin: Annotated[
        str, typer.Option(help="Space kept free around the drawing on the page.", rich_help_panel="Output")
    ] = "15mm",
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue from the checkpoint beside OUTPUT.", rich_help_panel="Run"),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Optimize pen strokes that make a neuron fire; write the SVG to plot, its strokes, a PNG and JSON."""
    from plotkit.excite.budget import short_of
    from plotkit.excite.job import run_excite
    from plotkit.excite.placement import page_named
    from plotkit.excite.settings import plan

    size_mm = millimetres(drawing_size, "--drawing-size")
    page = page_named(page_size, not portrait, millimetres(margin, "--margin", zero=True))
    placement = page.place(size_mm)  # a drawing larger than the page is refused before any work
    run = plan(asked, size_mm, placement)
    with stops_as_ctrl_c(), excite_bar(stderr, quiet, run.settings) as progress:
        result, sidecar = run_excite(
            run,
            save=output,
            save_option="--output",
            size_mm=size_mm,
            resume=resume,
            progress=progress,
            page=page,
        )
    console.print(
        f"Wrote {output} and beside it {sidecar.strokes_svg}, {sidecar.png} and "
        f"{output.with_suffix('.json').name}: {summary(result, sidecar.plot)}",
        highlight=False,
    )
    options = run.options
    short = sidecar.plot and short_of(options.plot_time, options.max_overdraw, sidecar.plot.seconds)
    if short:
        console.print(f"Note: {short}.", highlight=False)


GALLERY_CHOOSES = "--channels chooses the channels of --layer"


@exits_cleanly
@drawing_options(refused={"channel": GALLERY_CHOOSES, "objective": GALLERY_CHOOSES})
def gallery(
    asked: DrawingRequest,
    channels: Annotated[
        str,
        typer.Option(
            help="Channels of --layer: 0-63, 3 or 0,5,9-12 (one drawing each).", rich_help_panel="Objective"
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="Folder for chN.svg/.png/.json, sheet.png, index.html.",
            rich_help_panel="Output",
        ),
    ] = Path("gallery"),
    drawing_size: Annotated[
        str,
        typer.Option(
            help="Side of each finished drawing on paper (15cm, 6in, 200mm).", rich_help_panel="Output"
        ),
    ] = "15cm",
    batch_channels: Annotated[
        int | None,
        typer.Option(
            help=escape("Channels per forward pass [default: GPU: as many as fit; CPU: 1]"),
            rich_help_panel="Run",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help=escape("ray: batches as Ray tasks, on RAY_ADDRESS or a local Ray [default: here]"),
            rich_help_panel="Run",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """One drawing per channel of a layer, a labelled contact sheet and an index page.

    After Ctrl-C, rerun the same command: finished channels are skipped, the others resume."""
    from plotkit.excite.gallery import parse_channels, run_gallery

    wanted = parse_channels(channels)
    size_mm = millimetres(drawing_size, "--drawing-size")
    with stops_as_ctrl_c(), gallery_bar(stderr, quiet) as progress:
        results = run_gallery(asked, wanted, output, size_mm, progress, batch_channels, cluster)
    drawn = [r for r in results if not r.skipped]
    console.print(
        f"{len(drawn)} of {len(results)} channels drawn now ({len(results) - len(drawn)} finished before) "
        f"in {output}; contact sheet {output / 'sheet.png'}, page {output / 'index.html'}",
        highlight=False,
    )


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
        read_recipe(path, KINDS)
        recipes.add_row(
            name, tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""), str(path)
        )
    for table in (pens, plotters, recipes):
        console.print(table)
