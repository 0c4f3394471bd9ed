"""``plotkit estimate``, ``preview``, ``plot`` and ``emulate``: the paper side's commands.

Nothing here loads torch: these run on a machine that only plots.
"""

from __future__ import annotations

import math
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from plotkit.cli.boundary import exits_cleanly
from plotkit.cli.boundary import stdout as console
from plotkit.cli.plot_run import run_plot
from plotkit.cli.signals import on_stop_signals
from plotkit.errors import PlotkitError, UserError
from plotkit.plot.drawing import read_drawing, turn
from plotkit.plot.preview import (
    MAX_PIXELS,
    check_output,
    check_preview_options,
    preview_image,
    save_preview,
)
from plotkit.plot.runner import PlotRequest, drawing_for_plotter
from plotkit.plot.schedule import estimate as estimate_plot
from plotkit.plotter.backends import BACKENDS, DEFAULT_BACKEND
from plotkit.plotter.emulator import EBBEmulator, Faults
from plotkit.presets import DEFAULT_PLOTTER, load_plotter
from plotkit.units import format_duration, millimetres, parse_duration

BackendChoice = StrEnum("BackendChoice", {name: name for name in BACKENDS})

PlotterOption = Annotated[str, typer.Option(help="Plotter preset (plotkit presets).")]
OptimizeOption = Annotated[bool, typer.Option("--optimize", help="Merge and sort lines first (vpype).")]
RotateOption = Annotated[
    bool,
    typer.Option(
        "--rotate",
        help="Turn the drawing 90 degrees counter-clockwise, page and all, as vpype pagerotate does "
        "(an A4 portrait page onto an AxiDraw V3, which takes A4 landscape).",
    ),
]


NotifyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--notify",
        help="Call back at pen changes, pauses, stops, errors and the end: an apprise URL "
        "(ntfy://topic, json://host:port/path, mailto://...); repeatable.",
    ),
]


@exits_cleanly
def estimate(
    svg: Annotated[Path, typer.Argument(help="Multi-layer SVG to plot (one layer per pen).")],
    plotter: PlotterOption = DEFAULT_PLOTTER,
    optimize: OptimizeOption = False,
    rotate: RotateOption = False,
) -> None:
    """Plotting time, pen-down length, pen-up travel and number of lifts."""
    drawing, model = drawing_for_plotter(svg, plotter, optimize, rotate)
    e = estimate_plot(drawing, model)
    table = Table(box=None, show_header=False)
    table.add_row("time", format_duration(e.seconds))
    table.add_row("drawing time (pen down)", format_duration(e.drawing_seconds))
    table.add_row("pen-down length", f"{e.pen_down_mm / 1000:.2f} m")
    table.add_row("pen-up travel", f"{e.pen_up_mm / 1000:.2f} m")
    table.add_row("pen lifts", str(e.lifts))
    table.add_row("layers (pens)", str(e.layers))
    console.print(table)


@exits_cleanly
def plot(
    svg: Annotated[Path, typer.Argument(help="Multi-layer SVG to plot (one layer per pen, in order).")],
    port: Annotated[
        str | None, typer.Option(help="Serial port of the AxiDraw (default: the first one found on USB).")
    ] = None,
    plotter: PlotterOption = DEFAULT_PLOTTER,
    backend: Annotated[
        BackendChoice,
        typer.Option(help="ebb: plotkit's own driver; axidraw: pyaxidraw; sim: no device (--dry-run)."),
    ] = BackendChoice[DEFAULT_BACKEND],
    pause_every: Annotated[
        str | None, typer.Option(help="Pause after this much drawing time to refresh the pen (20m, 1h30m).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Go on from where the last plot stopped.")] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Ask nothing: no pauses, no pen-change prompts (no terminal needed)."),
    ] = False,
    optimize: OptimizeOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Simulate on a virtual clock: time and pauses; nothing sent.")
    ] = False,
    rotate: RotateOption = False,
    notify: NotifyOption = None,
) -> None:
    """Plot a drawing with progress and ETA, pen-wear pauses and exact resume."""
    simulated = dry_run or backend.value == "sim"
    run_plot(
        PlotRequest(svg, plotter, backend.value, port, pause_every, resume, yes, optimize, simulated, rotate),
        tuple(notify or ()),
    )


@exits_cleanly
def preview(
    svg: Annotated[Path, typer.Argument(help="Multi-layer SVG to plot.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write.")] = Path("preview.png"),
    pen_width: Annotated[
        str | None, typer.Option(help="Pen width for every layer (0.5mm); default: each layer's own.")
    ] = None,
    travel: Annotated[bool, typer.Option("--travel", help="Overlay pen-up moves in red.")] = False,
    dpi: Annotated[
        float, typer.Option(help=f"Resolution of the PNG (at most {MAX_PIXELS // 1_000_000} megapixels).")
    ] = 100,
    rotate: RotateOption = False,
) -> None:
    """The drawing on its paper with each layer's real pen width and colour."""
    width = millimetres(pen_width, "--pen-width") if pen_width is not None else None
    check_preview_options(dpi, width)
    check_output(output)
    drawing = read_drawing(svg)
    if rotate:
        drawing = turn(drawing)
    image = preview_image(drawing, dpi, width, travel)
    save_preview(image, output)
    page = (
        "" if drawing.page_mm is None else f", a {drawing.page_mm[0]:.0f} x {drawing.page_mm[1]:.0f} mm page"
    )
    console.print(f"Wrote {output} ({image.width}x{image.height} px at {dpi:g} dpi{page})", highlight=False)


@exits_cleanly
def emulate(
    record: Annotated[
        Path | None,
        typer.Option(
            help="Write what was drawn to this SVG, one layer per pen: while running and when stopped."
        ),
    ] = None,
    plotter: Annotated[
        str, typer.Option(help="Plotter preset: the paper size of --record.")
    ] = DEFAULT_PLOTTER,
    speedup: Annotated[float, typer.Option(help="Run moves this many times faster than a real board.")] = 1.0,
    save_every: Annotated[
        str, typer.Option(help="How often --record is rewritten while the emulator runs (a crash keeps it).")
    ] = "5s",
    drop_after: Annotated[
        int | None, typer.Option(help="Fault: drop the connection after N commands.")
    ] = None,
) -> None:
    """An EiBotBoard on a pseudo-terminal, for trying plots without a plotter (Ctrl-C or kill stops)."""
    if not 0 < speedup < math.inf:  # NaN fails too
        raise UserError(f"--speedup must be positive and finite, got {speedup:g}")
    save_s = parse_duration(save_every, "--save-every")
    model = load_plotter(plotter)
    size = (model.travel_x_mm, model.travel_y_mm)
    board = EBBEmulator(speedup=speedup, faults=Faults(drop_after=drop_after))
    saved = -1  # the paper revision on disk
    if record is not None:
        try:  # an empty record now: a path that cannot be written is refused before anything runs
            board.paper.write_svg(str(record), size)
        except OSError as exc:
            raise UserError(
                f"--record {record}: cannot write it ({exc.strerror or exc}); check the path"
            ) from None
        saved = 0
    stopping: list[int] = []  # Ctrl-C, kill (SIGTERM) and a closed terminal (SIGHUP) keep the record
    with on_stop_signals(stopping.append):
        console.print(
            f"EiBotBoard emulator on [bold]{board.start()}[/] (Ctrl-C or kill to stop)", highlight=False
        )
        next_save = time.monotonic() + save_s
        while not stopping:
            time.sleep(0.1)
            if record is not None and time.monotonic() >= next_save:
                next_save = time.monotonic() + save_s
                saved = _save_record(board, record, size, saved)
        board.stop()
        if record is not None:
            _save_record(board, record, size, saved)
    paper = board.paper
    console.print(
        f"{len(board.commands)} commands, {len(paper.strokes)} strokes in {paper.layer_count} layers, "
        f"{paper.move_seconds:.1f} s of moves"
    )
    if record is not None:
        console.print(f"Wrote {record}")


def _save_record(board: EBBEmulator, record: Path, size: tuple[float, float], saved: int) -> int:
    """Rewrite ``record`` if the paper changed since revision ``saved``; the revision on disk."""
    paper, revision = board.record()
    if revision != saved:
        try:
            paper.write_svg(str(record), size)
        except OSError as exc:
            raise PlotkitError(
                f"--record {record}: cannot write it any more ({exc}); the record is lost"
            ) from None
    return revision
