"""``plotkit render``, ``layers``, ``excite``, ``gallery`` and ``presets``: the optimizer's commands.

Torch is imported inside the commands that run it, so ``plotkit --help`` and the plotting
commands never load it.
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from optim.atomic import save_image
from plotkit.cli.boundary import exits_cleanly, stderr
from plotkit.cli.boundary import stdout as console
from plotkit.cli.progress import excite_bar, gallery_bar
from plotkit.cli.signals import stops_as_ctrl_c
from plotkit.excite.options import BY_NAME, EXCITE_OPTIONS, Option
from plotkit.presets import preset_files, read_pen_set, read_plotter, read_recipe
from plotkit.units import millimetres

Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


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


def _excite(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="SVG to write; PNG and JSON go beside it.")
    ] = Path("drawing.svg"),
    drawing_size: Annotated[
        str, typer.Option(help="Side of the finished drawing on paper (15cm, 6in, 200mm).")
    ] = "15cm",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the checkpoint beside OUTPUT.")
    ] = False,
    quiet: Quiet = False,
    **values: Any,
) -> None:
    """Optimize pen strokes that make a neuron fire; write SVG, PNG and JSON."""
    from plotkit.excite.job import run_excite
    from plotkit.excite.settings import settings_from_options

    size_mm = millimetres(drawing_size, "--drawing-size")
    run = settings_from_options(values, size_mm)
    with stops_as_ctrl_c(), excite_bar(stderr, quiet) as progress:
        result, sidecar = run_excite(
            run, save=output, save_option="--output", size_mm=size_mm, resume=resume, progress=progress
        )
    png = output.with_suffix(".png")
    console.print(
        f"Wrote {output}, {png} and {sidecar}: activation {result.initial_activation:.4g} -> "
        f"{result.final_activation:.4g}, {result.scene.n_paths} strokes inking {result.coverage:.0%}, "
        f"in {result.seconds:.0f} s ({result.weights_label} weights, {result.precision})",
        highlight=False,
    )


def with_excite_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command``'s own options joined by every optimizer option, as typer reads them, and
    its errors ended cleanly: one definition of the options for this CLI and vpype."""
    own = [
        p
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    command.__signature__ = inspect.Signature([*own, *typer_parameters(EXCITE_OPTIONS)])  # type: ignore[attr-defined]
    return exits_cleanly(command)


def typer_parameters(options: tuple[Option, ...]) -> list[inspect.Parameter]:
    """Keyword parameters typer reads as these options (None = not given)."""
    params = []
    for o in options:  # help is rich markup to typer: its [ranges; defaults] are escaped
        annotation = Annotated[o.kind | None, typer.Option(o.declaration, help=escape(o.help_text))]
        params.append(
            inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        )
    return params


excite = with_excite_options(_excite)


def _gallery(
    channels: Annotated[
        str, typer.Option(help="Channels of --layer: 0-63, 3 or 0,5,9-12 (one drawing each).")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for chN.svg/.png/.json, sheet.png, index.html.")
    ] = Path("gallery"),
    drawing_size: Annotated[
        str, typer.Option(help="Side of each finished drawing on paper (15cm, 6in, 200mm).")
    ] = "15cm",
    batch_channels: Annotated[
        int | None,
        typer.Option(help=escape("Channels per forward pass [default: GPU: as many as fit; CPU: 1]")),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(help=escape("ray: batches as Ray tasks, on RAY_ADDRESS or a local Ray [default: here]")),
    ] = None,
    quiet: Quiet = False,
    **values: Any,
) -> None:
    """One drawing per channel of a layer, a labelled contact sheet and an index page.

    After Ctrl-C, rerun the same command: finished channels are skipped, the others resume."""
    from plotkit.excite.gallery import parse_channels, run_gallery

    wanted = parse_channels(channels)
    size_mm = millimetres(drawing_size, "--drawing-size")
    with stops_as_ctrl_c(), gallery_bar(stderr, quiet) as progress:
        results = run_gallery(values, wanted, output, size_mm, progress, batch_channels, cluster)
    drawn = [r for r in results if not r.skipped]
    console.print(
        f"{len(drawn)} of {len(results)} channels drawn now ({len(results) - len(drawn)} finished before) "
        f"in {output}; contact sheet {output / 'sheet.png'}, page {output / 'index.html'}",
        highlight=False,
    )


gallery = with_excite_options(_gallery)


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
