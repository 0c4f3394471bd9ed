"""``plotkit plot`` at a terminal: a face over ``PlotRunner``, a rich bar and terminal prompts.

Everything that can be wrong with the input is refused before the plotter is opened, so a bad
file or option never moves the pen. The first Ctrl-C, SIGTERM or SIGHUP (a closed SSH session)
asks the runner to stop at the next segment boundary and park; a second one stops at once with
the pen raised. Whatever ends the plot, the runner leaves the pen raised and the journal at its
last good state; this face prints one line with the reason and the resume command.

Without a terminal on stderr (a log file, a pipe, ``nohup``) the bar becomes plain progress
lines at full length: one at each layer change and one every ``PLAIN_EVERY_S`` of wall time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from rich.progress import BarColumn, Progress, ProgressColumn, TaskID, TaskProgressColumn, TextColumn
from rich.table import Column

from plotkit.cli.boundary import stderr
from plotkit.cli.progress import PLAIN_EVERY_S
from plotkit.cli.signals import on_stop_signals, signal_name
from plotkit.errors import Interrupted, PlotkitError, UserError
from plotkit.plot.notify import Notifier, called_back
from plotkit.plot.runner import Event, Outcome, PlotRequest, PlotRunner, Progressed, Prompted
from plotkit.plot.session import Choice, PlotStatus, Prompt
from plotkit.units import format_duration

if sys.platform != "win32":
    import termios

FULL_BAR_WIDTH = 140  # terminal columns from which the plot bar shows every field, labelled
LAYER_MAX_WIDTH = 24  # a longer layer name is cut, not the ETA after it


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


def ask_at_terminal(prompt: Prompt) -> Choice:
    """The prompt's question on stderr, its answer from the terminal."""
    keys = "Enter to continue, q to quit and keep progress"
    if prompt.kind == "pause":
        keys = "Enter to continue, s to stop pausing, q to quit and keep progress"
    stderr.print(f"\n[bold yellow]{prompt.message}.[/]", highlight=False)
    _discard_typeahead()
    answer = stderr.input(f"{keys}: ").strip().lower()
    return Choice.QUIT if answer == "q" else Choice.SKIP if answer == "s" else Choice.CONTINUE


def _unless_terminal_gone(show: Callable[[Any], None], what: Any) -> None:
    """Show ``what``; a terminal that is gone (a closed SSH session: writes fail) must not
    stop the plot from parking and saving."""
    try:
        show(what)
    except OSError:
        pass


class _Face:
    """The runner's listener: progress to the bar, prompts answered at the terminal."""

    def __init__(self, bar: _Bar | PlainLines):
        self.bar = bar
        self.runner: PlotRunner | None = None

    def __call__(self, event: Event) -> None:
        assert self.runner is not None
        if isinstance(event, Progressed):
            _unless_terminal_gone(self.bar.update, event.status)
        elif isinstance(event, Prompted):
            self.bar.hold()
            self.runner.answer(ask_at_terminal(event.prompt))
            self.bar.release()


def run_plot(args: PlotRequest, notify: tuple[str, ...] = ()) -> None:
    """Plot (or, with ``dry_run``, simulate) ``args.svg``, calling back each ``notify`` URL at
    prompts and at the end. A stop that keeps progress returns (quit at a prompt) or raises
    with its exit code (a signal, a fault)."""
    notifier = Notifier(notify)  # a bad URL is refused before anything else
    if args.dry_run:
        return _dry_run(PlotRunner(args))
    runner = PlotRunner(args)  # the drawing and the journal are checked first
    if not sys.stdin.isatty() and not args.yes:
        raise UserError("no terminal to answer pauses and pen-change prompts; add --yes to plot without them")
    runner.open()
    bar = _Bar() if stderr.is_terminal else PlainLines()
    face = _Face(bar)
    runner.listener, face.runner = called_back(notifier, args.svg.name, face), runner
    if args.yes:
        skipped = " (--pause-every is ignored)" if runner.pause_every_s else ""
        stderr.print(f"--yes: no pauses and no pen-change prompts{skipped}.", highlight=False)
    raised: list[int] = []

    def on_signal(signum: int) -> None:
        if raised:
            return  # the pen is being lifted and the journal saved: let that finish
        if runner.waiting is None and not runner.stopping:
            runner.stop(by=signal_name(signum))
            _unless_terminal_gone(
                bar.say,
                f"{signal_name(signum)}: stopping at the next segment boundary, then parking "
                "(again: stop at once).",
            )
            return
        raised.append(signum)
        raise KeyboardInterrupt  # at once (at a prompt, the pen is parked already)

    try:
        with on_stop_signals(on_signal), bar:
            outcome = runner.run()
    finally:
        notifier.close()  # the last word (the end, an error) goes out before the process ends
    _finish(outcome, args)


def _finish(outcome: Outcome, args: PlotRequest) -> None:
    """The outcome as the CLI says it: a line, and the exit code through the error it raises."""
    if outcome.finished:
        j = outcome.journal
        stderr.print(
            f"Plotted {args.svg}: {j.strokes_done} strokes, {j.drawn_mm / 1000:.2f} m of line "
            f"in {format_duration(j.elapsed_s)} of plotter time.",
            highlight=False,
        )
        return
    error = {2: UserError, 130: Interrupted, 1: PlotkitError}.get(outcome.exit_code)
    if error is None:
        stderr.print(outcome.message, highlight=False, soft_wrap=True)
        return
    raise error(outcome.message) from outcome.error


def _pauses(n: int) -> str:
    return "would not pause" if n == 0 else "would pause once" if n == 1 else f"would pause {n} times"


def _dry_run(runner: PlotRunner) -> None:
    """Simulate the plot as it will run: every prompt answered at once (none with --yes),
    so the time and the pauses are those of the real plot, pen changes and parking included."""
    outcome = runner.run()
    j, args = outcome.journal, runner.request
    pauses = f"; --pause-every {args.pause_every} {_pauses(outcome.pauses)}" if runner.pause_every_s else ""
    stderr.print(
        f"Dry run on {runner.plotter.name}: {format_duration(outcome.plotter_s)} of plotting, "
        f"{j.strokes_done} strokes, {j.drawn_mm / 1000:.2f} m of line{pauses}. Nothing was sent.",
        highlight=False,
    )
