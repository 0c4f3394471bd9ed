"""``vpype neuronexc``: the optimizer as a vpype command adding one layer per pen.

    vpype neuronexc --layer conv3_3 --channel 37 --pens stabilo-point-88 linemerge linesort write out.svg

A global processor, not a generator: vpype's generators add their own ``-l/--layer``,
which would collide with ``--layer`` (the network's layer). Layers already in the
document are kept; the new ones take the next free ids.

vpype imports every plugin at start, for every command, so this module loads only click,
vpype and the options table: torch and the optimizer load when ``neuronexc`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import vpype as vp
import vpype_cli

from optim.errors import OptimError
from plotkit.errors import PlotkitError, UserError
from plotkit.excite.options import FIELDS, flag, flagged, help_text, spec
from plotkit.units import PX_PER_MM, millimetres


class _BadInput(click.ClickException):
    """One line, exit code 2: vpype's own convention for bad parameters, without the usage text."""

    exit_code = UserError.exit_code


class _Stopped(click.ClickException):
    """A stop that kept its progress (Ctrl-C): the message says how to resume."""

    def __init__(self, error: PlotkitError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


class _Length(click.ParamType):
    """A length with its unit, read by ``plotkit.units.millimetres``, in vpype's pixels; unlike
    vpype's LengthType, which reads a bare number as pixels, a bare number is refused."""

    name = "length"

    def __init__(self, zero: bool = False):
        self.zero = zero

    def convert(self, value, param, ctx) -> float:
        try:
            return millimetres(value, param.opts[0], self.zero) * PX_PER_MM
        except UserError as exc:
            raise _BadInput(str(exc)) from None


def drawing_options(command: Callable) -> Callable:
    """Decorate a click command with every drawing option (None = not given)."""
    for name in reversed([f.name for f in FIELDS]):
        kind = spec(name).kind
        declaration = f"{flag(name)}/--no-{flag(name)[2:]}" if kind is bool else flag(name)
        kind_read = None if kind is bool else kind
        command = click.option(declaration, name, type=kind_read, default=None, help=help_text(name))(command)
    return command


@click.command()
@click.option(
    "--page-size",
    type=vpype_cli.PageSizeType(),
    default="a4",
    help="Page: a4, a3, letter, WxH. [default: a4]",
)
@click.option(
    "--landscape/--portrait",
    default=True,
    help="Page orientation; landscape is how an AxiDraw V3 takes A4. [default: landscape]",
)
@click.option(
    "--margin",
    type=_Length(zero=True),
    default="15mm",
    help="Space kept free around the drawing. [default: 15mm]",
)
@click.option(
    "--width",
    "drawing_width",
    type=_Length(),
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
@drawing_options
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
    from plotkit.cli.boundary import stderr
    from plotkit.cli.progress import excite_bar, summary
    from plotkit.cli.signals import stops_as_ctrl_c
    from plotkit.excite.job import run_excite
    from plotkit.excite.placement import pen_line_collections, place
    from plotkit.excite.request import request
    from plotkit.excite.settings import plan

    try:
        placement = place(page_size, landscape, margin, drawing_width)
        size_mm = placement.side / PX_PER_MM
        run = plan(request(values), size_mm, placement)
        with stops_as_ctrl_c(), excite_bar(stderr, quiet, run.settings) as progress:
            result, _ = run_excite(
                run, save=save, save_option="--save", size_mm=size_mm, resume=resume, progress=progress
            )
        layers = pen_line_collections(result, run.pens, placement)
    except (UserError, OptimError) as exc:
        raise _BadInput(flagged(str(exc), {"output": "--save"})) from None
    except PlotkitError as exc:
        raise _Stopped(exc) from None
    for collection, props in layers:
        layer_id = document.free_id()
        document.add(collection, layer_id)
        for key, value in props.items():
            document.layers[layer_id].set_property(key, value)
    document.page_size = placement.page
    stderr.print(f"neuronexc: {summary(result)}", highlight=False, soft_wrap=True)
    return document


neuronexc.help_group = "plotkit"
