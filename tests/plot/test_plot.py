"""`plotkit plot` into the EiBotBoard emulator over a real pseudo-terminal: strokes, time,
faults and resume, Ctrl-C, pauses by drawing time, and refusals before anything moves."""

import io
import json
import os
import pty
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest
import vpype as vp
from rich.console import Console
from typer.testing import CliRunner

from plotkit.cli import plot_run
from plotkit.cli.app import app
from plotkit.cli.plot_run import run_plot
from plotkit.errors import PlotkitError, UserError
from plotkit.plot.drawing import read_drawing, turn
from plotkit.plot.journal import Journal, check_resumable, file_sha256, journal_path, load_journal
from plotkit.plot.runner import PlotRequest
from plotkit.plot.schedule import estimate, stroke_plans
from plotkit.plot.session import Choice, PlotSession, PlotStatus
from plotkit.plotter.backends import open_backend
from plotkit.plotter.ebb import EbbBackend
from plotkit.plotter.emulator import Faults
from plotkit.plotter.sim import SimBackend
from plotkit.presets import load_plotter
from plotkit.units import format_duration
from tests.drawings import write_layers

COLORS = ("#000000", "#d01010", "#1030d0")
MOTION = ("SM", "XM", "LM", "LT", "HM", "SP", "EM")


def _layers(seed: int, layers: int = 3, strokes: int = 4, segments: int = 6):
    """x-monotone strokes, each in a cell of its own: no two segments come near one another,
    so every recorded point belongs to exactly one input segment."""
    rng = np.random.default_rng(seed)
    out, cell = [], 0
    for li in range(layers):
        lines = []
        for _ in range(strokes):
            x0, y0 = 10 + (cell % 5) * 38, 10 + (cell // 5) * 38
            cell += 1
            xs = x0 + np.cumsum(rng.uniform(3, 5, segments + 1))
            ys = y0 + rng.uniform(0, 30, segments + 1)
            lines.append(list(zip(xs, ys, strict=True)))
        out.append((COLORS[li % 3], 0.3, lines))
    return out


@pytest.fixture
def drawing_svg(tmp_path):
    return write_layers(tmp_path / "drawing.svg", _layers(1))


def _input_strokes(svg):
    """The strokes as read, without repeated points: what a session plots, in order."""
    return [p.path.points for p in stroke_plans(read_drawing(svg), load_plotter("axidraw-v3"))]


def _coverage(paper_strokes, strokes):
    """How many times each input segment was drawn: the recorded pen-down path projected
    onto the input strokes, as arc-length intervals, summed over each segment."""
    cum = [np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))]) for s in strokes]
    covered = [np.zeros(len(s) - 1) for s in strokes]
    for drawn in paper_strokes:
        drawn = np.asarray(drawn)
        if len(drawn) < 2:
            continue  # a pen drop without motion
        for p, q in zip(drawn[:-1], drawn[1:], strict=True):
            k = int(np.argmin([np.abs(s - (p + q) / 2).sum(1).min() for s in strokes]))
            (s0, d0), (s1, d1) = _arc(p, strokes[k], cum[k]), _arc(q, strokes[k], cum[k])
            assert max(d0, d1) < 0.03, f"drawn off the input: {p} -> {q}"
            lo, hi = sorted((s0, s1))
            covered[k] += np.clip(np.minimum(hi, cum[k][1:]) - np.maximum(lo, cum[k][:-1]), 0, None)
    return [c / np.diff(cm) for c, cm in zip(covered, cum, strict=True)]


def _arc(p, poly, cum):
    a, ab = poly[:-1], np.diff(poly, axis=0)
    t = np.clip(((p - a) * ab).sum(1) / (ab * ab).sum(1), 0, 1)
    d = np.linalg.norm(p - (a + t[:, None] * ab), axis=1)
    i = int(np.argmin(d))
    return cum[i] + t[i] * (cum[i + 1] - cum[i]), d[i]


def _plot(svg, port, **kw) -> int:
    """``run_plot`` with the exit code the CLI would give."""
    try:
        run_plot(PlotRequest(svg, port=port, yes=True, **kw))
    except PlotkitError as exc:
        return exc.exit_code
    return 0


def test_ebb_backend_plots_a_multilayer_svg_as_drawn_in_planned_time(drawing_svg, runner, emulator):
    board = emulator(speedup=40)
    port = board.start()
    try:
        result = runner.invoke(app, ["plot", str(drawing_svg), "--port", port, "--yes"])
        assert result.exit_code == 0, result.output
        assert board.wait_idle()
    finally:
        board.stop()
    strokes = _input_strokes(drawing_svg)
    drawn = [np.array(s) for s in board.paper.strokes]
    assert len(drawn) == len(strokes) == 12
    for got, want in zip(drawn, strokes, strict=True):  # layers in order, strokes in order
        assert np.abs(got[0] - want[0]).max() <= 0.02 and np.abs(got[-1] - want[-1]).max() <= 0.02
        assert max(_arc(p, want, np.zeros(len(want)))[1] for p in got) <= 0.02
        assert max(_arc(p, got, np.zeros(len(got)))[1] for p in want) <= 0.02  # every vertex reached
    assert all(np.allclose(c, 1, atol=0.01) for c in _coverage(board.paper.strokes, strokes))
    assert board.pen_up and board.paper.strokes  # ends with the pen up, parked home
    planned = estimate(read_drawing(drawing_svg), load_plotter("axidraw-v3")).seconds
    assert board.paper.move_seconds == pytest.approx(planned, rel=0.05)
    journal = load_journal(journal_path(drawing_svg))
    assert journal.finished and journal.strokes_done == 12


def test_dropped_links_resume_with_every_segment_drawn_once(drawing_svg, emulator):
    rng = np.random.default_rng(7)
    board = emulator(speedup=60)
    port = board.start()
    drops, restarted = 0, Counter()
    try:
        while True:
            board.faults = Faults(drop_after=len(board.commands) + int(rng.integers(12, 60)))
            code = _plot(drawing_svg, port, resume=drops > 0)
            if code == 0:
                break
            assert code == 1  # lost link: non-zero, journal saved
            drops += 1
            j = load_journal(journal_path(drawing_svg))
            assert j.stopped_by == "link" and not j.finished
            restarted[j.cursor.layer, j.cursor.stroke, j.cursor.segment] += 1
            port = board.start()  # the cable plugged back in; the board kept its power
        assert board.wait_idle()
    finally:
        board.stop()
    assert drops >= 20
    strokes = _input_strokes(drawing_svg)
    per_layer = [layer for layer, (_, _, lines) in enumerate(_layers(1)) for _ in lines]
    index_in_layer = [i for _, _, lines in _layers(1) for i in range(len(lines))]
    for k, counts in enumerate(_coverage(board.paper.strokes, strokes)):
        for seg, count in enumerate(counts):
            assert count > 0.97, f"stroke {k} segment {seg} drawn {count:.2f} times"
            # drawn more than once in part: only a segment a plot restarted in, once per restart
            assert count < 1.03 + restarted[per_layer[k], index_in_layer[k], seg], (k, seg, count)


def test_pause_button_parks_asks_and_goes_on(drawing_svg, emulator):
    board = emulator(speedup=8, faults=Faults(button_at=frozenset({150})))
    plotter = load_plotter("axidraw-v3")
    drawing = read_drawing(drawing_svg)
    asked = []

    def ask(prompt):
        asked.append((prompt.kind, board.wait_idle() and board.pen_up, board._mm()))
        return Choice.CONTINUE

    try:
        backend = EbbBackend(plotter, board.start())
        result = PlotSession(drawing, plotter, backend, Journal("x", {}), None, ask=ask).run()
        assert board.wait_idle()
    finally:
        board.stop()
    assert result.finished
    assert asked[0][0] == "pen"  # the first pen
    assert asked[1][0] == "button" and asked[1][1] and asked[1][2] == (0.0, 0.0)  # pen up, at home
    assert [kind for kind, *_ in asked[2:]] == ["pen", "pen"]  # then the two layer changes
    counts = _coverage(board.paper.strokes, _input_strokes(drawing_svg))
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    assert sum(int((c > 1.03).sum()) for c in counts) <= 1  # only the segment it stopped in


def test_pauses_follow_drawing_time_in_plotter_time(tmp_path):
    # Strokes of about 1 s of drawing, far apart: travel takes longer than drawing, and a
    # pause counted in plotting time would come much earlier than one in drawing time.
    lines = [[(10 + 18 * i, 10 + 25 * (i % 2)), (10 + 18 * i + 40, 10 + 25 * (i % 2) + 8)] for i in range(12)]
    svg = write_layers(
        tmp_path / "d.svg", [("#000000", 0.3, lines[:5]), ("#ff0000", 0.3, lines[5:])], (300, 200)
    )
    plotter = load_plotter("axidraw-v3")
    drawing = read_drawing(svg)
    sim = SimBackend(plotter)
    asked = []
    answers = iter([Choice.CONTINUE, Choice.SKIP])

    def ask(prompt):
        asked.append((prompt.kind, session.journal.strokes_done, session.journal.drawing_s, sim.seconds))
        return next(answers) if prompt.kind == "pause" else Choice.CONTINUE

    journal = Journal("x", {})
    session = PlotSession(drawing, plotter, sim, journal, tmp_path / "j.json", pause_every_s=2.5, ask=ask)
    result = session.run()
    assert result.finished
    kinds = [a[0] for a in asked]
    # the first pen; strokes 1-3 pause; 4-5 end the layer: the pen prompt, no pause, and its
    # counter restarts; 6-8 pause, answered "skip": 9-11 would have paused again
    assert kinds == ["pen", "pause", "pen", "pause"], asked
    first = asked[1]
    assert first[1] == 3 and 2.5 <= first[2] < 3.5  # three strokes of about 1.1 s of drawing
    assert first[3] > 1.5 * first[2] > 1.5 * 2.5  # while the plotter ran far longer than 2.5 s
    assert asked[2][1] == 5 and asked[3][1] == 8
    assert journal.elapsed_s == pytest.approx(sim.seconds, rel=1e-6)  # plotter time, as simulated
    assert result.pauses == 2 and journal.strokes_done == 12


def test_a_board_that_lost_power_is_homed_by_hand_before_anything_moves(drawing_svg, emulator):
    plotter = load_plotter("axidraw-v3")
    path = journal_path(drawing_svg)
    board = emulator(speedup=60, faults=Faults(drop_after=300))
    try:
        assert _plot(drawing_svg, board.start()) == 1
        board.power_cycle()  # the carriage stays mid-page, the counters are gone
        board.faults = Faults()
        sent = len(board.commands)
        result = CliRunner().invoke(
            app, ["plot", str(drawing_svg), "--port", board.start(), "--yes", "--resume"]
        )
        assert result.exit_code == 2 and "Traceback" not in result.output  # --yes: nobody to home it
        assert result.stderr.strip().splitlines()[-1] == (
            "Error: the plotter no longer knows where its carriage is; resume at a terminal, "
            "without --yes, to be walked through homing it by hand"
        )
        assert not set(c.split(",")[0] for c in board.commands[sent:]) & set(MOTION) - {"SP"}
        asked = []

        def ask(prompt):
            asked.append(prompt.kind)
            if prompt.kind == "home":
                board.push_carriage(0.0, 0.0)
            return Choice.CONTINUE

        backend = EbbBackend(plotter, board.start())
        session = PlotSession(read_drawing(drawing_svg), plotter, backend, load_journal(path), path, ask=ask)
        assert session.run().finished
        assert board.wait_idle()
    finally:
        board.stop()
    assert asked[0] == "home"
    counts = _coverage(board.paper.strokes, _input_strokes(drawing_svg))
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    assert sum(int((c > 1.03).sum()) for c in counts) <= 1  # only the segment it stopped in


def test_quit_at_a_pause_keeps_progress_for_resume(drawing_svg, emulator):
    plotter = load_plotter("axidraw-v3")
    drawing = read_drawing(drawing_svg)
    path = journal_path(drawing_svg)
    board = emulator(speedup=60)
    try:
        backend = EbbBackend(plotter, board.start())
        session = PlotSession(
            drawing,
            plotter,
            backend,
            Journal("x", {}),
            path,
            pause_every_s=0.05,
            ask=lambda p: Choice.QUIT if p.kind == "pause" else Choice.CONTINUE,
        )
        result = session.run()
        assert not result.finished and result.stopped_by == "quit"
        saved = load_journal(path)
        assert saved.strokes_done >= 1 and saved.cursor.segment == 0 and saved.position_mm == (0.0, 0.0)
        backend = EbbBackend(plotter, board.start())
        assert PlotSession(drawing, plotter, backend, saved, path).run().finished
        assert board.wait_idle()
    finally:
        board.stop()
    assert all(
        np.allclose(c, 1, atol=0.01) for c in _coverage(board.paper.strokes, _input_strokes(drawing_svg))
    )


def plot_process(svg, port, board) -> subprocess.Popen:
    """``plotkit plot SVG --port PORT --yes`` as a process of its own, to send signals to,
    once it has drawn two strokes on ``board``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "plotkit", "plot", str(svg), "--port", port, "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
    )
    deadline = time.monotonic() + 60
    while len(board.paper.strokes) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if len(board.paper.strokes) < 2:
        proc.kill()
        raise AssertionError(f"the plot did not start: {proc.communicate()[1]}")
    return proc


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_leaves_the_pen_up_and_a_valid_journal(drawing_svg, presses, emulator):
    board = emulator(speedup=3)
    port = board.start()
    proc = plot_process(drawing_svg, port, board)
    try:
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "--resume" in err and "Traceback" not in err
        assert board.wait_idle() and board.pen_up
        if presses == 1:  # parked at home after finishing its segment
            assert board._mm() == (0.0, 0.0)
        path = journal_path(drawing_svg)
        data = json.loads(path.read_text())
        journal = load_journal(path)
        assert journal.stopped_by == "interrupt" and not journal.finished and data["version"] == 1
        assert journal.strokes_done < 12 and journal.cursor.layer < 3
        board.speedup = 60
        assert _plot(drawing_svg, port, resume=True) == 0  # and the rest is drawn once
        assert board.wait_idle()
    finally:
        proc.kill()
        board.stop()
    counts = _coverage(board.paper.strokes, _input_strokes(drawing_svg))
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    assert sum(int((c > 1.03).sum()) for c in counts) <= 1


def _one_line_exit_2(args, board=None):
    result = CliRunner().invoke(app, args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("content", "extra", "problem"),
    [
        (None, [], "no such file"),
        ("<svg><path d='M 0 0 L", [], "not a readable SVG"),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm"/>', [], "nothing to draw"),
        ("big", [], "beyond the axidraw-v3 travel"),
        ("ok", ["--plotter", "axidraw-v9"], "unknown plotter preset 'axidraw-v9'"),
        ("ok", ["--pause-every", "20 minutes"], "--pause-every takes a duration"),
    ],
)
def test_bad_input_is_one_line_and_moves_nothing(tmp_path, content, extra, problem, emulator):
    svg = tmp_path / "d.svg"
    if content == "big":
        write_layers(svg, [("#000000", 0.3, [[(10, 10), (400, 200)]])], page=(420, 297))
    elif content == "ok":
        write_layers(svg, _layers(2, layers=1, strokes=2))
    elif content is not None:
        svg.write_text(content)
    board = emulator(speedup=50)
    try:
        line = _one_line_exit_2(["plot", str(svg), "--port", board.start(), "--yes", *extra])
    finally:
        board.stop()
    assert problem in line
    assert board.commands == []  # refused before the port was even opened


def test_unknown_port_and_not_a_board(tmp_path):
    svg = write_layers(tmp_path / "d.svg", _layers(2, layers=1, strokes=2))
    assert "no such serial port" in _one_line_exit_2(
        ["plot", str(svg), "--port", "/dev/no-such-port", "--yes"]
    )
    assert "did not answer as an EiBotBoard" in _one_line_exit_2(
        ["plot", str(svg), "--port", "/dev/null", "--yes"]
    )


def test_resume_refuses_a_changed_drawing_and_keeps_the_journal(tmp_path, emulator):
    svg = write_layers(tmp_path / "d.svg", _layers(3, layers=1, strokes=3))
    board = emulator(speedup=60, faults=Faults(drop_after=80))
    try:
        port = board.start()
        result = CliRunner().invoke(app, ["plot", str(svg), "--port", port, "--yes"])
        path = journal_path(svg)
        assert result.exit_code == 1  # a lost link: one sentence, the journal and how to go on
        command = PlotRequest(svg, port=port, yes=True).resume_command()
        assert re.fullmatch(
            rf"Lost the plotter: [^\n]+\. Progress is saved in {re.escape(str(path))}; once it is "
            rf"connected again, go on with: {re.escape(command)}",
            result.stderr.strip().splitlines()[-1],
        ), result.stderr
        before = path.read_bytes()
        assert "unfinished plot" in _one_line_exit_2(["plot", str(svg), "--port", board.start(), "--yes"])
        assert "started with other settings" in _one_line_exit_2(
            ["plot", str(svg), "--port", board.start(), "--yes", "--resume", "--optimize"]
        )
        write_layers(svg, _layers(4, layers=1, strokes=3))
        assert "changed since its plot stopped" in _one_line_exit_2(
            ["plot", str(svg), "--port", board.start(), "--yes", "--resume"]
        )
        assert path.read_bytes() == before  # nothing lost
        other = write_layers(tmp_path / "other.svg", _layers(4, layers=1, strokes=3))
        assert "no plot to resume" in _one_line_exit_2(["plot", str(other), "--resume", "--yes"])
    finally:
        board.stop()


def test_without_a_terminal_it_asks_for_yes(tmp_path, emulator):
    svg = write_layers(tmp_path / "d.svg", _layers(2, layers=1, strokes=2))
    board = emulator(speedup=50)
    try:
        line = _one_line_exit_2(["plot", str(svg), "--port", board.start(), "--pause-every", "20m"])
    finally:
        board.stop()
    assert "add --yes" in line and board.commands == []


@pytest.mark.parametrize(("every", "said"), [("5s", "would pause once"), ("2s", "would pause 3 times")])
def test_dry_run_counts_pauses_in_english(tmp_path, runner, every, said):
    svg = write_layers(tmp_path / "d.svg", _layers(1, layers=1, strokes=6))
    result = runner.invoke(app, ["plot", str(svg), "--dry-run", "--pause-every", every])
    assert result.exit_code == 0 and f"--pause-every {every} {said}." in result.stderr, result.stderr


def test_dry_run_counts_pauses_and_sends_nothing(drawing_svg, runner):
    result = runner.invoke(app, ["plot", str(drawing_svg), "--dry-run", "--pause-every", "5s"])
    assert result.exit_code == 0, result.output
    assert "would pause" in result.stderr and "Nothing was sent" in result.stderr
    assert not journal_path(drawing_svg).exists()


def test_dry_run_pauses_and_time_are_those_of_the_plot_at_a_terminal(drawing_svg, runner):
    """Each layer draws for about 9 s, the three for 27 s: a pen change restarts the count, so
    pausing every 10 s never pauses, and parking for each pen takes plotter time."""
    result = runner.invoke(app, ["plot", str(drawing_svg), "--dry-run", "--pause-every", "10s"])
    assert result.exit_code == 0, result.output
    assert "would not pause" in result.stderr
    plotter = load_plotter("axidraw-v3")
    sim = SimBackend(plotter)
    session = PlotSession(
        read_drawing(drawing_svg), plotter, sim, Journal("x", {}), None, ask=lambda p: Choice.CONTINUE
    )
    assert session.run().finished
    assert f"Dry run on axidraw-v3: {format_duration(sim.seconds)} of plotting" in result.stderr


def test_axidraw_backend_without_pyaxidraw_says_how_to_install(drawing_svg, monkeypatch, runner, emulator):
    monkeypatch.setitem(sys.modules, "pyaxidraw", None)  # import fails, as where it is not installed
    board = emulator()
    try:
        args = ["plot", str(drawing_svg), "--backend", "axidraw", "--port", board.start(), "--yes"]
        result = runner.invoke(app, args)
    finally:
        board.stop()
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "pip install" in result.output
    assert board.commands == []


def test_axidraw_backend_plots_through_pyaxidraw(drawing_svg, emulator):
    pytest.importorskip("pyaxidraw", reason="pyaxidraw is not on PyPI; install it to test this backend")
    board = emulator(speedup=40, faults=Faults(button_at=frozenset({150})))
    plotter = load_plotter("axidraw-v3")
    asked = []

    def ask(prompt):
        asked.append((prompt.kind, board.wait_idle() and board.pen_up, board._mm()))
        return Choice.CONTINUE

    try:
        backend = open_backend("axidraw", plotter, board.start())
        session = PlotSession(read_drawing(drawing_svg), plotter, backend, Journal("x", {}), None, ask=ask)
        assert session.run().finished
        assert board.wait_idle()
    finally:
        board.stop()
    assert asked[0][0] == "pen" and asked[1] == ("button", True, (0.0, 0.0))  # pyaxidraw stopped; we parked
    counts = _coverage(board.paper.strokes, _input_strokes(drawing_svg))
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    assert sum(int((c > 1.03).sum()) for c in counts) <= 1


def _portrait(tmp_path):
    """An A4 portrait page, as vpype neuronexc placed drawings by default: too tall for the
    AxiDraw V3's 218 mm, inside its 300 mm turned. Six strokes down the page, each in a column
    of its own, their vertices 5 mm apart."""
    rng = np.random.default_rng(5)
    ys = np.linspace(40, 238, 40)
    lines = [list(zip(30 + 25 * i + rng.uniform(0, 5, len(ys)), ys, strict=True)) for i in range(6)]
    layers = [("#000000", 0.3, lines[:3]), ("#ff0000", 0.3, lines[3:])]
    return write_layers(tmp_path / "portrait.svg", layers, (210, 297))


def test_rotate_plots_a_portrait_page_and_is_kept_for_resume(tmp_path, emulator):
    svg = _portrait(tmp_path)
    assert "add --rotate" in _one_line_exit_2(["plot", str(svg), "--dry-run"])
    board = emulator(speedup=60, faults=Faults(drop_after=60))
    try:
        assert _plot(svg, board.start(), rotate=True) == 1  # a lost link: the journal keeps --rotate
        assert load_journal(journal_path(svg)).settings["rotate"] is True
        assert "--rotate" in shlex.split(PlotRequest(svg, yes=True, rotate=True).resume_command())
        board.faults = Faults()
        line = _one_line_exit_2(["plot", str(svg), "--port", board.start(), "--yes", "--resume"])
        assert "add --rotate" in line  # unturned, it does not fit
        assert _plot(svg, board.start(), rotate=True, resume=True) == 0
        assert board.wait_idle()
    finally:
        board.stop()
    turned = [p.path.points for p in stroke_plans(turn(read_drawing(svg)), load_plotter("axidraw-v3"))]
    counts = _coverage(board.paper.strokes, turned)
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    drawn = np.concatenate([np.asarray(s) for s in board.paper.strokes])
    assert drawn.max(0)[1] <= 218 and drawn.max(0)[0] <= 300


def test_pauses_progress_and_eta_run_on_plotter_time_under_speedup(drawing_svg, emulator):
    """``--pause-every`` under an emulator's --speedup: the pause timer, the time so far and the
    ETA are all plotter time, so the plot pauses where a real board would, and the prompt says
    how much drawing in seconds."""
    plotter = load_plotter("axidraw-v3")
    drawing = read_drawing(drawing_svg)

    def run(backend):
        asked, statuses = [], []

        def ask(prompt):
            asked.append((prompt.kind, session.journal.strokes_done, prompt.message))
            return Choice.CONTINUE

        session = PlotSession(
            drawing,
            plotter,
            backend,
            Journal("x", {}),
            None,
            pause_every_s=3,
            ask=ask,
            progress=statuses.append,
        )
        assert session.run().finished
        return asked, statuses, session.journal

    sim = SimBackend(plotter)
    sim_asked, sim_statuses, sim_journal = run(sim)
    board = emulator(speedup=50)
    t0 = time.monotonic()
    asked, statuses, journal = run(EbbBackend(plotter, board.start()))
    wall = time.monotonic() - t0
    assert board.wait_idle()
    pauses = [(k, n) for k, n, _ in asked if k == "pause"]
    assert len(pauses) >= 3 and pauses == [(k, n) for k, n, _ in sim_asked if k == "pause"]
    assert wall < journal.elapsed_s / 3  # paused on plotter time, which ran far ahead of wall time
    for kind, _, message in asked:
        if kind == "pause":
            assert re.match(r"0m0[3-9]s of drawing since the last pause", message), message
    # one clock: the session's, the simulator's and the emulator's plotter time agree
    assert journal.elapsed_s == pytest.approx(sim_journal.elapsed_s, rel=1e-9)
    assert sim_journal.elapsed_s == pytest.approx(sim.seconds, rel=1e-9)
    assert board.paper.move_seconds == pytest.approx(journal.elapsed_s, rel=0.01)
    total = estimate(drawing, plotter).seconds
    for s in statuses:  # time so far and ETA add up to the plan, parking trips aside
        assert total * 0.95 < s.elapsed_s + s.eta_s < total * 1.3, (s.elapsed_s, s.eta_s, total)


def test_without_prompts_plotter_time_is_the_estimate(drawing_svg):
    plotter = load_plotter("axidraw-v3")
    drawing = read_drawing(drawing_svg)
    sim = SimBackend(plotter)
    journal = PlotSession(drawing, plotter, sim, Journal("x", {}), None).run().journal
    assert journal.elapsed_s == pytest.approx(estimate(drawing, plotter).seconds, rel=1e-9)


def test_a_port_that_is_not_a_board_is_one_line_without_plotink_logging(tmp_path):
    svg = write_layers(tmp_path / "d.svg", _layers(2, layers=1, strokes=2))
    done = subprocess.run(
        [sys.executable, "-m", "plotkit", "plot", str(svg), "--port", "/dev/null", "--yes"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: /dev/null did not answer as an EiBotBoard; check --port and the USB cable"
    ]


def test_without_a_terminal_progress_is_plain_full_lines(drawing_svg, runner, emulator):
    board = emulator(speedup=40)
    try:
        result = runner.invoke(app, ["plot", str(drawing_svg), "--port", board.start(), "--yes"])
    finally:
        board.stop()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("plot: ")]
    layers = [line.split(",")[0] for line in lines]
    assert layers[0] == "plot: layer 1/3 1" and "plot: layer 3/3 3" in layers
    pattern = (
        r"plot: layer \d/3 \d, \d+\.\d\d/\d+\.\d\d m, \d+/12 strokes, pen \d+\.\d\d m since change, "
        r"plotter time \d+m\d\ds, ETA \d+m\d\ds"
    )
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    assert "…" not in result.stderr and result.stderr.strip().endswith("of plotter time.")


def test_plain_lines_come_at_layer_changes_and_every_few_seconds(monkeypatch):
    printed, now = [], [0.0]
    monkeypatch.setattr(plot_run.stderr, "print", lambda text, **kw: printed.append(text))
    lines = plot_run.PlainLines(every_s=10, clock=lambda: now[0])

    def at(t, layer, strokes):
        now[0] = t
        lines.update(
            PlotStatus(layer, 2, f"pen {layer + 1}", strokes, 480, strokes * 10.0, 4800, 0, t, 600 - t)
        )

    for t, layer, strokes in [
        (0, 0, 0),
        (5, 0, 1),
        (10, 0, 2),
        (12, 0, 3),
        (13, 1, 4),
        (14, 1, 5),
        (23.5, 1, 6),
    ]:
        at(t, layer, strokes)
    assert [p.split(", ")[2] for p in printed] == [
        "0/480 strokes",
        "2/480 strokes",
        "4/480 strokes",
        "6/480 strokes",
    ]
    assert printed[2] == (
        "plot: layer 2/2 pen 2, 0.04/4.80 m, 4/480 strokes, pen 0.00 m since change, "
        "plotter time 0m13s, ETA 9m47s"
    )


@pytest.mark.parametrize("width", [80, 160])
def test_the_bar_fits_the_terminal_and_starts_with_the_real_totals(monkeypatch, width):
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(plot_run, "stderr", console)
    bar = plot_run._Bar()
    with bar:
        bar.hold()  # a prompt before the first status: homing by hand
        bar.release()
        assert out.getvalue() == ""  # no bar before the totals are known
        bar.update(PlotStatus(1, 3, "red", 120, 480, 3210, 10400, 1200, 250, 750))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    rows = [row for row in re.split(r"[\r\n]", text) if row.strip()]
    assert rows, out.getvalue()
    for row in rows:
        assert len(row) <= width and "…" not in row, row
        assert row.startswith("2/3 red ") and "3.21/10.40 m" in row and row.endswith("ETA 12m30s"), row
        assert ("120/480 strokes" in row and "plotter time 4m10s" in row) == (width == 160), row


def test_the_first_pen_is_asked_for_before_anything_is_drawn(drawing_svg, emulator):
    plotter = load_plotter("axidraw-v3")
    board = emulator(speedup=60)
    asked = []

    def ask(prompt):
        asked.append((prompt.kind, prompt.message, len(board.paper.strokes)))
        return Choice.CONTINUE

    backend = EbbBackend(plotter, board.start())
    assert (
        PlotSession(read_drawing(drawing_svg), plotter, backend, Journal("x", {}), None, ask=ask)
        .run()
        .finished
    )
    assert asked[0] == ("pen", "Put in pen 1 of 3: '1' (#000000, 0.3 mm)", 0)
    assert [(kind, drawn) for kind, _, drawn in asked] == [("pen", 0), ("pen", 4), ("pen", 8)]
    assert asked[1][1].startswith("Put in pen 2 of 3: '2' (#d01010")


def test_emulator_records_one_layer_per_pen_change(tmp_path, emulator):
    """A rest at home with the pen up (plotkit's pen prompt, a person changing the pen) starts a
    layer; a plot with no prompts is one pen, one layer."""
    lines = [[(10 + 30 * i, 10), (30 + 30 * i, 40)] for i in range(6)]
    svg = write_layers(
        tmp_path / "d.svg",
        [(c, 0.3, lines[2 * i : 2 * i + 2]) for i, c in enumerate("#000000 #ff0000 #0000ff".split())],
    )
    plotter = load_plotter("axidraw-v3")
    board = emulator(speedup=50, pen_change_s=0.3)
    prompts = []

    def ask(prompt):
        prompts.append(prompt.kind)
        time.sleep(0.6)  # a person changing the pen
        return Choice.CONTINUE

    backend = EbbBackend(plotter, board.start())
    assert PlotSession(read_drawing(svg), plotter, backend, Journal("x", {}), None, ask=ask).run().finished
    assert board.wait_idle()
    assert prompts == ["pen", "pen", "pen"]
    assert board.paper.layers == [1, 1, 2, 2, 3, 3]
    board.paper.write_svg(str(tmp_path / "paper.svg"), (300, 218))
    doc = vp.read_multilayer_svg(str(tmp_path / "paper.svg"), 0.1)
    assert {i: len(layer) for i, layer in doc.layers.items()} == {1: 2, 2: 2, 3: 2}

    again = emulator(speedup=50, pen_change_s=0.3)
    backend = EbbBackend(plotter, again.start())
    assert PlotSession(read_drawing(svg), plotter, backend, Journal("x", {}), None).run().finished  # --yes
    assert again.wait_idle() and again.paper.layers == [1] * 6


def test_a_journal_from_before_rotate_resumes_unturned_only(tmp_path):
    svg = write_layers(tmp_path / "d.svg", _layers(2, layers=1, strokes=2))
    path, sha = journal_path(svg), file_sha256(svg)
    old = Journal(sha, {"optimize": False, "plotter": "axidraw-v3"})  # written before --rotate existed
    check_resumable(old, path, svg, sha, {"optimize": False, "plotter": "axidraw-v3", "rotate": False})
    with pytest.raises(UserError, match="rotate was False"):
        check_resumable(old, path, svg, sha, {"optimize": False, "plotter": "axidraw-v3", "rotate": True})


def _terminal_plot(args, env_columns="120"):
    """``plotkit plot ARGS`` on a pseudo-terminal: (process, master fd, output buffer)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plotkit", "plot", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": env_columns},
    )
    os.close(slave)
    return proc, master, bytearray()


def _read_until(proc, master, out, done, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        if select.select([master], [], [], 0.05)[0]:
            try:
                out.extend(os.read(master, 65536))
            except OSError:  # the plot ended and closed the terminal
                proc.wait(timeout)
    assert done(), out.decode(errors="replace")


def test_an_enter_typed_while_plotting_does_not_answer_the_next_pen_prompt(tmp_path, emulator):
    """At a terminal, an Enter pressed during the first layer is dropped when the second pen's
    prompt appears: the plot waits there until the user answers it."""
    lines = [[(10 + 30 * i, 10), (30 + 30 * i, 40)] for i in range(4)]
    svg = write_layers(tmp_path / "d.svg", [("#000000", 0.3, lines[:2]), ("#ff0000", 0.3, lines[2:])])
    board = emulator(speedup=5, pen_change_s=0.3)
    proc, master, out = _terminal_plot([str(svg), "--port", board.start()])

    def until(done, timeout=30.0):
        _read_until(proc, master, out, done, timeout)

    try:
        until(lambda: out.count(b"Enter to continue") == 1)
        os.write(master, b"\r")  # the first pen is in
        until(lambda: len(board.paper.strokes) >= 1)
        os.write(master, b"\r")  # typed while the first layer is drawn
        until(lambda: out.count(b"Enter to continue") == 2)
        time.sleep(1.0)
        assert len(board.paper.strokes) == 2, "the second layer started without an answer"
        os.write(master, b"\r")  # the second pen is in
        until(lambda: proc.poll() is not None)
        assert proc.returncode == 0, out.decode(errors="replace")
        assert board.wait_idle() and board.paper.layers == [1, 1, 2, 2]
    finally:
        proc.kill()
        os.close(master)


def test_s_at_a_pause_prompt_stops_the_pauses(tmp_path, emulator):
    lines = [[(10 + 12 * i, 10), (18 + 12 * i, 60)] for i in range(14)]
    svg = write_layers(tmp_path / "d.svg", [("#000000", 0.3, lines)])
    board = emulator(speedup=20)
    proc, master, out = _terminal_plot([str(svg), "--port", board.start(), "--pause-every", "2s"])
    try:
        _read_until(proc, master, out, lambda: out.count(b"Enter to continue") == 1)
        os.write(master, b"\r")  # the pen is in
        _read_until(proc, master, out, lambda: b"s to stop pausing" in out)
        os.write(master, b"s\r")
        _read_until(proc, master, out, lambda: proc.poll() is not None, timeout=60)
        assert proc.returncode == 0, out.decode(errors="replace")
        assert out.count(b"s to stop pausing") == 1, out.decode(errors="replace")
    finally:
        proc.kill()
        os.close(master)
