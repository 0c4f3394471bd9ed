"""``vpype neuronexc``: the optimizer as a vpype command adding one layer per pen.

    vpype neuronexc --layer conv3_3 --channel 37 --pens stabilo-point-88 linemerge linesort write out.svg

A global processor, not a generator: vpype's generators add their own ``-l/--layer``,
which would collide with ``--layer`` (the network's layer). Layers already in the
document are kept; the new ones take the next free ids.
"""

from __future__ import annotations

from pathlib import Path

import click
import vpype as vp
import vpype_cli

from plotkit.errors import USER_ERRORS
from plotkit.excite_options import click_options, settings_from_options
from plotkit.placement import PX_PER_MM, pen_line_collections, place
from plotkit.progress import run_excite


class _BadInput(click.ClickException):
    """One line, exit code 2: vpype's own convention for bad parameters, without the usage text."""

    exit_code = 2


@click.command()
@click.option(
    "--page-size",
    type=vpype_cli.PageSizeType(),
    default="a4",
    help="Page: a4, a3, letter, WxH. [default: a4]",
)
@click.option("--landscape", is_flag=True, help="Turn the page to landscape.")
@click.option(
    "--margin",
    type=vpype_cli.LengthType(),
    default="15mm",
    help="Space kept free around the drawing. [default: 15mm]",
)
@click.option(
    "--width",
    "drawing_width",
    type=vpype_cli.LengthType(),
    default=None,
    help="Side of the square drawing. [default: as large as the margins allow]",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the optimized SVG, PNG and JSON sidecar here (and a checkpoint while running).",
)
@click.option("--resume", is_flag=True, help="Continue from the checkpoint beside --save.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click_options
@vpype_cli.global_processor
def neuronexc(
    document: vp.Document,
    page_size: tuple[float, float],
    landscape: bool,
    margin: float,
    drawing_width: float | None,
    save: Path | None,
    resume: bool,
    quiet: bool,
    **values,
) -> vp.Document:
    """Optimize strokes that excite a CNN neuron, and add them as one layer per pen."""
    try:
        placement = place(page_size, landscape, margin, drawing_width)
        run = settings_from_options(values, placement.side / PX_PER_MM)
        result, _ = run_excite(
            run,
            save=save,
            save_option="--save",
            size_mm=placement.side / PX_PER_MM,
            resume=resume,
            quiet=quiet,
        )
        layers = pen_line_collections(result, run.pens, placement)
    except USER_ERRORS as exc:
        raise _BadInput(str(exc)) from None
    for collection, props in layers:
        layer_id = document.free_id()
        document.add(collection, layer_id)
        for key, value in props.items():
            document.layers[layer_id].set_property(key, value)
    document.page_size = placement.page
    return document


neuronexc.help_group = "plotkit"
