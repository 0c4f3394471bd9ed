"""``plotkit plot`` at a terminal: checks first, then a plot session behind a rich progress bar.

Everything that can be wrong with the input is refused before the plotter is opened, so a bad
file or option never moves the pen. The first Ctrl-C asks the session to stop at the next
segment boundary and park; a second one stops at once with the pen raised. Either way, and
after a lost link, the journal is saved and the resume command printed.

Without a terminal on stderr (a log file, a pipe, ``nohup``) the bar becomes plain progress
lines at full length: one at each layer change and one every ``PLAIN_EVERY_S`` of wall time.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, Progress, ProgressColumn, TaskID, TaskProgressColumn, TextColumn
from rich.table import Column

from plotkit.cli.boundary import stderr
from plotkit.cli.progress import PLAIN_EVERY_S
from plotkit.errors import Interrupted, PlotkitError, UserError
from plotkit.plot.drawing import PlotDrawing, check_fits, read_drawing, turn
from plotkit.plot.journal import Journal, open_journal
from plotkit.plot.session import Choice, PlotSession, PlotStatus, Prompt
from plotkit.plotter.backends import DEFAULT_BACKEND, open_backend
from plotkit.plotter.interface import LinkError
from plotkit.plotter.sim import SimBackend
from plotkit.presets import DEFAULT_PLOTTER, Plotter, load_plotter
from plotkit.units import format_duration, parse_duration

if sys.platform != "win32":
    import termios

FULL_BAR_WIDTH = 140  # terminal columns from which the plot bar shows every field, labelled
LAYER_MAX_WIDTH = 24  # a longer layer name is cut, not the ETA after it


@dataclass(frozen=True)
class PlotArgs:
    svg: Path
    plotter: str = DEFAULT_PLOTTER
    backend: str = DEFAULT_BACKEND
    port: str | None = None
    pause_every: str | None = None
    resume: bool = False
    yes: bool = False
    optimize: bool = False
    dry_run: bool = False
    rotate: bool = False

    def resume_command(self) -> str:
        words = ["plotkit", "plot", str(self.svg), "--resume"]
        for flag, value, default in (
            ("--plotter", self.plotter, DEFAULT_PLOTTER),
            ("--backend", self.backend, DEFAULT_BACKEND),
            ("--port", self.port, None),
            ("--pause-every", self.pause_every, None),
        ):
            if value != default:
                words += [flag, str(value)]
        words += ["--optimize"] * self.optimize + ["--rotate"] * self.rotate + ["--yes"] * self.yes
        return shlex.join(words)


def _fields(s: PlotStatus) -> dict[str, str]:
    return {
        "layer": f"{s.layer + 1}/{s.layers} {s.layer_name}",
        "drawn": f"{s.drawn_mm / 1000:.2f}/{s.total_mm / 1000:.2f} m",
        "strokes": f"{s.strokes_done}/{s.strokes}",
        "pen": f"{s.pen_mm / 1000:.2f} m",
        "elapsed": format_duration(s.elapsed_s),
        "eta": format_duration(s.eta_s),
    }


def _bar_columns(width: int) -> list[ProgressColumn]:
    """Every field, labelled, at a terminal ``width`` columns wide; at a narrower one (80
    columns is common) the layer, the bar, its percentage, metres drawn and the ETA, so that
    none of them is cut."""
    layer = TextColumn(
        "[bold]{task.fields[layer]}[/]",
        table_column=Column(no_wrap=True, max_width=LAYER_MAX_WIDTH, overflow="ellipsis"),
    )
    drawn = TextColumn("{task.fields[drawn]}")
    eta = TextColumn("ETA [cyan]{task.fields[eta]}[/]")
    if width < FULL_BAR_WIDTH:
        return [layer, BarColumn(bar_width=20), TaskProgressColumn(), drawn, eta]
    return [
        layer,
        BarColumn(),
        drawn,
        TextColumn("{task.fields[strokes]} strokes"),
        TextColumn("pen {task.fields[pen]} since change"),
        TextColumn("plotter time {task.fields[elapsed]}"),
        eta,
    ]


class _Bar:
    """At a terminal: a live rich bar. Times are plotter time (what the plotter has drawn),
    so the ETA and the time so far run on one clock, whatever an emulator's --speedup. It
    appears at the session's first status, so it never shows placeholder totals."""

    def __init__(self) -> None:
        self.progress = Progress(*_bar_columns(stderr.width), console=stderr)
        self.task: TaskID | None = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, status: PlotStatus) -> None:
        fields = _fields(status)
        if self.task is None:
            self.task = self.progress.add_task(
                "plot", total=status.total_mm, completed=status.drawn_mm, **fields
            )
            self.progress.start()
        else:
            self.progress.update(self.task, total=status.total_mm, completed=status.drawn_mm, **fields)

    def hold(self) -> None:
        self.progress.stop()

    def release(self) -> None:
        if self.task is not None:
            self.progress.start()

    def say(self, text: str) -> None:
        self.progress.console.print(text, highlight=False)


class PlainLines:
    """Without a terminal: a full-length progress line at each layer change and every
    ``every_s`` of wall time, e.g. ``plot: layer 2/4 red, 3.21/10.40 m, 120/480 strokes,
    pen 1.20 m since change, plotter time 4m10s, ETA 12m30s``."""

    def __init__(self, every_s: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.every_s = PLAIN_EVERY_S if every_s is None else every_s
        self.clock = clock
        self._last = -float("inf")
        self._layer: int | None = None

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, status: PlotStatus) -> None:
        now = self.clock()
        if status.layer == self._layer and now - self._last < self.every_s:
            return
        self._layer, self._last = status.layer, now
        f = _fields(status)
        self.say(
            f"plot: layer {f['layer']}, {f['drawn']}, {f['strokes']} strokes, pen {f['pen']} since change, "
            f"plotter time {f['elapsed']}, ETA {f['eta']}"
        )

    def hold(self) -> None:
        return None

    def release(self) -> None:
        return None

    def say(self, text: str) -> None:
        stderr.print(text, highlight=False, markup=False, soft_wrap=True)


def _discard_typeahead() -> None:
    """Drop what was typed at the terminal before a prompt: an Enter pressed while the plot
    ran must not answer a pen change the user has not made."""
    if sys.platform != "win32" and sys.stdin.isatty():
        termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)


def _ask(bar: _Bar | PlainLines):
    def ask(prompt: Prompt) -> Choice:
        bar.hold()
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C here: stop now
        try:
            keys = "Enter to continue, q to quit and keep progress"
            if prompt.kind == "pause":
                keys = "Enter to continue, s to stop pausing, q to quit and keep progress"
            stderr.print(f"\n[bold yellow]{prompt.message}.[/]", highlight=False)
            _discard_typeahead()
            answer = stderr.input(f"{keys}: ").strip().lower()
        finally:
            signal.signal(signal.SIGINT, previous)
        bar.release()
        return Choice.QUIT if answer == "q" else Choice.SKIP if answer == "s" else Choice.CONTINUE

    return ask


def drawing_for_plotter(
    svg: Path, plotter: str, optimize: bool, rotate: bool = False
) -> tuple[PlotDrawing, Plotter]:
    """The drawing (with ``rotate``, turned 90 degrees as ``vpype pagerotate`` turns it) and the
    plotter preset, refused with one line if it does not fit."""
    drawing = read_drawing(svg, optimize)
    model = load_plotter(plotter)
    if rotate:
        drawing = turn(drawing)
    check_fits(drawing, model, svg, turned=rotate)
    return drawing, model


def run_plot(args: PlotArgs) -> None:
    """Plot (or, with ``dry_run``, simulate) ``args.svg``. A stop that keeps progress
    returns (quit at a prompt) or raises with its exit code (Ctrl-C, a lost plotter)."""
    drawing, plotter = drawing_for_plotter(args.svg, args.plotter, args.optimize, args.rotate)
    pause_s = parse_duration(args.pause_every, "--pause-every") if args.pause_every else None
    settings = {"optimize": args.optimize, "plotter": args.plotter, "rotate": args.rotate}
    strokes = sum(len(layer.strokes) for layer in drawing.layers)
    journal, path = open_journal(args.svg, strokes, settings, args.resume, args.dry_run)
    if args.dry_run:
        return _dry_run(args, drawing, plotter, journal, pause_s)
    interactive = sys.stdin.isatty()
    if not interactive and not args.yes:
        raise UserError("no terminal to answer pauses and pen-change prompts; add --yes to plot without them")
    backend = open_backend(args.backend, plotter, args.port)
    backend.open()
    bar = _Bar() if stderr.is_terminal else PlainLines()
    if args.yes:
        skipped = " (--pause-every is ignored)" if pause_s else ""
        stderr.print(f"--yes: no pauses and no pen-change prompts{skipped}.", highlight=False)
        pause_s = None
    stop = threading.Event()

    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        bar.say("Stopping at the next segment boundary, then parking (Ctrl-C again: stop at once).")

    session = PlotSession(
        drawing,
        plotter,
        backend,
        journal,
        path,
        pause_every_s=pause_s,
        ask=None if args.yes else _ask(bar),
        progress=bar.update,
        stop=stop,
    )
    previous = signal.signal(signal.SIGINT, on_sigint)
    saved, command = f"Progress is saved in {path}", args.resume_command()
    resume = f"{saved}; to go on: {command}"
    try:
        with bar:
            result = session.run()
    except KeyboardInterrupt:
        raise Interrupted(f"Stopped at once with the pen raised. {resume}") from None
    except LinkError as exc:
        raise PlotkitError(
            f"Lost the plotter: {exc}. {saved}; once it is connected again, go on with: {command}"
        ) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    if result.finished:
        j = result.journal
        stderr.print(
            f"Plotted {args.svg}: {j.strokes_done} strokes, {j.drawn_mm / 1000:.2f} m of line "
            f"in {format_duration(j.elapsed_s)} of plotter time.",
            highlight=False,
        )
        return
    if result.stopped_by == "home":
        raise UserError(
            "the plotter no longer knows where its carriage is; resume at a terminal, without "
            "--yes, to be walked through homing it by hand"
        )
    if result.stopped_by == "interrupt":
        raise Interrupted(f"Stopped by Ctrl-C, pen parked. {resume}")
    said = {"button": "Stopped by the pause button", "quit": "Stopped"}
    stderr.print(f"{said[result.stopped_by]}, pen parked. {resume}", highlight=False, soft_wrap=True)


def _dry_run(
    args: PlotArgs, drawing: PlotDrawing, plotter: Plotter, journal: Journal, pause_s: float | None
) -> None:
    """Simulate the plot as it will run: every prompt answered at once (none with --yes),
    so the time and the pauses are those of the real plot, pen changes and parking included."""
    sim = SimBackend(plotter)
    ask = None if args.yes else lambda prompt: Choice.CONTINUE
    result = PlotSession(drawing, plotter, sim, journal, None, pause_every_s=pause_s, ask=ask).run()
    j = result.journal
    pauses = f"; --pause-every {args.pause_every} would pause {result.pauses} times" if pause_s else ""
    stderr.print(
        f"Dry run on {plotter.name}: {format_duration(sim.seconds)} of plotting, {j.strokes_done} strokes, "
        f"{j.drawn_mm / 1000:.2f} m of line{pauses}. Nothing was sent.",
        highlight=False,
    )
