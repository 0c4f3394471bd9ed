"""No fault leaves the pen down or loses progress: a journal that cannot be written, a full
disk, SIGTERM and SIGHUP, any exception; each against the EiBotBoard emulator, whose pen is
asked with ``QP`` after the stop, then resumed to the end and compared with the drawing."""

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import serial
from typer.testing import CliRunner

from plotkit.cli.app import app
from plotkit.cli.signals import stops_as_ctrl_c
from plotkit.plot import session as session_module
from plotkit.plot.drawing import read_drawing
from plotkit.plot.journal import Journal, journal_path, load_journal, reserve_path
from plotkit.plot.runner import PlotRequest, PlotRunner
from plotkit.plot.session import SAVE_EVERY_MM, PlotSession
from plotkit.plotter.sim import SimBackend
from plotkit.presets import load_plotter
from tests.drawings import write_layers
from tests.plot.test_plot import _coverage, _input_strokes, _plot, _read_until, _terminal_plot, plot_process

SEGMENT_MM = 4.0  # the longest segment of the drawing below


def _long_strokes(path: Path) -> Path:
    """Six long strokes of 4 mm segments, in two layers: a fault lands inside a stroke."""
    lines = []
    for i in range(6):
        xs = np.arange(10, 130, SEGMENT_MM)
        ys = 12 + 22 * i + 4 * (np.arange(len(xs)) % 2)
        lines.append(list(zip(xs, ys, strict=True)))
    return write_layers(path, [("#000000", 0.3, lines[:3]), ("#d01010", 0.3, lines[3:])])


def _pen_is_up(port: str) -> bool:
    """The board's own answer to ``QP`` (1: up)."""
    with serial.Serial(port, timeout=5) as link:
        link.reset_input_buffer()
        link.write(b"QP\r")
        answer = link.read_until(b"OK\r\n").decode()
    return answer.split()[0] == "1"


def _drawn_once(board, svg: Path) -> None:
    """Every segment drawn, none twice but the one a stop cut (within one segment's length)."""
    counts = _coverage(board.paper.strokes, _input_strokes(svg))
    assert all((c > 0.97).all() for c in counts), counts
    redrawn = sum(float(((c - 1).clip(0) * SEGMENT_MM).sum()) for c in counts)
    assert redrawn <= SEGMENT_MM * 1.05, f"{redrawn:.1f} mm drawn twice"


def _stopped_parked(board, port: str, svg: Path, stopped_by: str) -> Journal:
    assert board.wait_idle() and _pen_is_up(port)
    assert board._mm() == (0.0, 0.0)  # parked at home
    journal = load_journal(journal_path(svg))  # and the journal parses
    assert journal.stopped_by == stopped_by and not journal.finished and journal.strokes_done < 6
    return journal


@pytest.mark.parametrize("error", [errno.EIO, errno.ENOSPC])
def test_a_journal_save_failing_mid_stroke_stops_parked_and_resume_draws_the_rest_once(
    tmp_path, emulator, monkeypatch, error
):
    svg = _long_strokes(tmp_path / "d.svg")
    board = emulator(speedup=60)
    port = board.start()
    real, failed = session_module.save_journal, []

    def save(path, journal):
        if not failed and journal.drawn_mm > 300 and journal.cursor.segment > 0:
            failed.append(journal.cursor.segment)
            raise OSError(error, os.strerror(error))
        real(path, journal)

    monkeypatch.setattr(session_module, "save_journal", save)
    result = CliRunner().invoke(app, ["plot", str(svg), "--port", port, "--yes"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"Cannot write the journal {journal_path(svg)} ({os.strerror(error)}): stopped at")
    assert "pen parked" in line and line.endswith("--resume --port " + port + " --yes")
    assert failed and _stopped_parked(board, port, svg, "journal").cursor.segment == failed[0]
    monkeypatch.undo()
    assert _plot(svg, port, resume=True) == 0
    assert board.wait_idle()
    _drawn_once(board, svg)


def test_a_journal_that_stays_unwritable_keeps_its_last_good_save(tmp_path, emulator, monkeypatch):
    """EROFS, EACCES, a removed stick: nothing can be saved any more; what was saved is at
    most ``SAVE_EVERY_MM`` of drawing behind the stop, so resuming redraws no more."""
    svg = _long_strokes(tmp_path / "d.svg")
    board = emulator(speedup=60)
    port = board.start()
    real = session_module.save_journal

    def save(path, journal):
        if journal.drawn_mm > 300:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        real(path, journal)

    monkeypatch.setattr(session_module, "save_journal", save)
    assert _plot(svg, port) == 1
    assert board.wait_idle() and _pen_is_up(port) and board._mm() == (0.0, 0.0)
    saved = load_journal(journal_path(svg))
    assert 300 - SAVE_EVERY_MM - SEGMENT_MM <= saved.drawn_mm <= 300
    monkeypatch.undo()
    assert _plot(svg, port, resume=True) == 0 and board.wait_idle()
    counts = _coverage(board.paper.strokes, _input_strokes(svg))
    assert all((c > 0.97).all() for c in counts)
    redrawn = sum(float(((c - 1).clip(0) * SEGMENT_MM).sum()) for c in counts)
    assert redrawn <= SAVE_EVERY_MM + 2 * SEGMENT_MM


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 256 KiB tmpfs, to fill for real; skipped where mounting is not permitted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the injected ENOSPC covers it"
        )
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_under_the_journal_stops_parked_and_loses_nothing(small_disk, emulator):
    svg = _long_strokes(small_disk / "d.svg")
    board = emulator(speedup=30)
    port = board.start()
    runner = PlotRunner(PlotRequest(svg, port=port, yes=True))
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(runner.run()))
    thread.start()
    while runner.journal.drawn_mm < 200:
        time.sleep(0.01)
    assert reserve_path(journal_path(svg)).exists()  # room set aside while the plot runs
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    thread.join(60)
    (result,) = outcome
    assert result.reason == "journal" and result.exit_code == 1
    assert "No space left on device" in result.message and "a later try saved it" in result.message
    journal = _stopped_parked(board, port, svg, "journal")
    assert journal.drawn_mm == pytest.approx(runner.journal.drawn_mm)  # the exact stop is on disk
    assert not reserve_path(journal_path(svg)).exists()
    filler.unlink()  # the cause is gone
    assert _plot(svg, port, resume=True) == 0 and board.wait_idle()
    _drawn_once(board, svg)


@pytest.mark.parametrize(("sig", "times"), [(signal.SIGTERM, 1), (signal.SIGHUP, 1), (signal.SIGTERM, 2)])
def test_sigterm_and_sighup_stop_a_plot_as_ctrl_c_does(tmp_path, emulator, sig, times):
    svg = _long_strokes(tmp_path / "d.svg")
    board = emulator(speedup=8)
    port = board.start()
    proc = plot_process(svg, port, board)
    try:
        time.sleep(0.3)  # inside the second stroke
        for _ in range(times):
            proc.send_signal(sig)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    name = signal.Signals(sig).name
    assert proc.returncode == 130 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    said = "Stopped at once with the pen raised." if times == 2 else f"Stopped by {name}, pen parked."
    assert last.startswith(said) and last.endswith(f"plotkit plot {svg} --resume --port {port} --yes"), err
    assert board.wait_idle() and _pen_is_up(port)
    journal = load_journal(journal_path(svg))
    assert journal.stopped_by == "interrupt" and json.loads(journal_path(svg).read_text())["version"] == 1
    if times == 1:
        assert board._mm() == (0.0, 0.0)
    board.speedup = 60
    assert _plot(svg, port, resume=True) == 0 and board.wait_idle()
    _drawn_once(board, svg)


def test_inside_a_long_stroke_the_journal_is_saved_by_drawn_length(tmp_path, monkeypatch):
    """Not by wall time: under an emulator's --speedup (or the simulator, here) wall seconds
    hold far more drawing, and a hard stop would redraw all of it."""
    svg = write_layers(
        tmp_path / "d.svg", [("#000000", 0.3, [[(10 + 2 * i, 10 + 30 * (i % 2)) for i in range(90)]])]
    )
    plotter = load_plotter("axidraw-v3")
    saved_at = []
    monkeypatch.setattr(session_module, "save_journal", lambda path, j: saved_at.append(j.drawn_mm))
    journal = Journal("x", {})
    PlotSession(read_drawing(svg), plotter, SimBackend(plotter), journal, tmp_path / "j.json").run()
    longest = max(np.linalg.norm(np.diff(s, axis=0), axis=1).max() for s in _input_strokes(svg))
    gaps = np.diff([0.0, *saved_at])
    assert journal.drawn_mm > 2000 and gaps.max() <= SAVE_EVERY_MM + longest, gaps.max()


def test_an_unexpected_error_leaves_the_pen_raised_says_one_line_and_debug_shows_the_traceback(
    tmp_path, emulator, monkeypatch
):
    svg = _long_strokes(tmp_path / "d.svg")
    board = emulator(speedup=60)
    port = board.start()
    real = session_module.PlotSession._report

    def report(self, k, segment):
        if self.journal.drawn_mm > 100:
            raise ZeroDivisionError("a bug")
        real(self, k, segment)

    monkeypatch.setattr(session_module.PlotSession, "_report", report)
    result = CliRunner().invoke(app, ["plot", str(svg), "--port", port, "--yes"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("The plot stopped with the pen raised: ZeroDivisionError: a bug. Progress is saved in")
    )
    assert board.wait_idle() and _pen_is_up(port)
    assert load_journal(journal_path(svg)).stopped_by == "error"
    monkeypatch.setenv("PLOTKIT_DEBUG", "1")
    result = CliRunner().invoke(app, ["plot", str(svg), "--port", port, "--yes", "--resume"])
    assert result.exit_code == 1 and "Traceback" in result.stderr and "ZeroDivisionError" in result.stderr


def test_sigterm_and_sighup_raise_keyboard_interrupt_for_the_optimizer_commands():
    before = signal.getsignal(signal.SIGTERM)  # another test's library (Ray) may have set one
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(KeyboardInterrupt), stops_as_ctrl_c():
            os.kill(os.getpid(), sig)
            time.sleep(5)
    assert signal.getsignal(signal.SIGTERM) is before  # put back


def test_emulate_keeps_its_record_on_sighup(tmp_path):
    record = tmp_path / "paper.svg"
    proc = subprocess.Popen(
        [sys.executable, "-m", "plotkit", "emulate", "--record", str(record)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "EiBotBoard emulator on" in proc.stdout.readline()
        proc.send_signal(signal.SIGHUP)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0 and f"Wrote {record}" in out, err


def test_a_closed_ssh_session_stops_the_plot_parked_though_its_terminal_is_gone(tmp_path, emulator):
    """The terminal goes first (writes to it fail), then SIGHUP comes: the plot still parks
    and saves, whatever it can no longer print."""
    svg = _long_strokes(tmp_path / "d.svg")
    board = emulator(speedup=8)
    port = board.start()
    proc, master, out = _terminal_plot([str(svg), "--port", port, "--yes"])
    try:
        _read_until(proc, master, out, lambda: len(board.paper.strokes) >= 2)
        os.close(master)  # the SSH session is gone
        proc.send_signal(signal.SIGHUP)
        proc.wait(60)
    finally:
        proc.kill()
    assert board.wait_idle() and _pen_is_up(port) and board._mm() == (0.0, 0.0)
    assert load_journal(journal_path(svg)).stopped_by == "interrupt"
    assert _plot(svg, port, resume=True) == 0 and board.wait_idle()
    _drawn_once(board, svg)
