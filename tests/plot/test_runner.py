"""``PlotRunner``, the library object behind ``plotkit plot`` and the web page: events to a
listener, commands (answer, pause, stop) from another thread, and an outcome for every end."""

import threading

import pytest

from plotkit.errors import UserError
from plotkit.plot.journal import journal_path, load_journal
from plotkit.plot.runner import (
    Failed,
    Finished,
    Paused,
    PlotRequest,
    PlotRunner,
    Progressed,
    Prompted,
    Stopped,
)
from plotkit.plot.session import Choice
from plotkit.plotter.emulator import Faults
from tests.drawings import write_layers
from tests.plot.test_plot import _layers


@pytest.fixture
def svg(tmp_path):
    return write_layers(tmp_path / "d.svg", _layers(1, layers=2, strokes=3))


def _in_thread(runner: PlotRunner) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(runner.run()), daemon=True)
    thread.start()
    return thread, out


def test_a_face_in_another_thread_answers_prompts_pauses_and_sees_the_end(svg, emulator):
    board = emulator(speedup=40)
    events, prompted = [], threading.Semaphore(0)

    def listener(event):
        events.append(event)
        if isinstance(event, Prompted):
            prompted.release()

    runner = PlotRunner(PlotRequest(svg, port=board.start()), listener)
    thread, out = _in_thread(runner)
    assert prompted.acquire(timeout=30)  # the first pen
    runner.answer(Choice.CONTINUE)
    while not any(isinstance(e, Progressed) and e.status.strokes_done >= 1 for e in events):
        assert thread.is_alive()
        threading.Event().wait(0.01)
    runner.pause()
    assert prompted.acquire(timeout=30)
    paused = events[-1]
    assert isinstance(paused, Paused) and paused.prompt.kind == "paused"
    assert board.wait_idle() and board.pen_up and board._mm() == (0.0, 0.0)  # parked while paused
    runner.answer(Choice.CONTINUE)
    while thread.is_alive():
        if prompted.acquire(timeout=0.05):
            runner.answer(Choice.CONTINUE)  # the second pen
    (outcome,) = out
    assert outcome.finished and outcome.exit_code == 0 and isinstance(events[-1], Finished)
    assert load_journal(journal_path(svg)).finished


def test_stop_from_another_thread_parks_and_says_how_to_resume(svg, emulator):
    board = emulator(speedup=20)
    events = []
    runner = PlotRunner(PlotRequest(svg, port=board.start(), yes=True), events.append)
    thread, out = _in_thread(runner)
    while len(board.paper.strokes) < 2:
        threading.Event().wait(0.01)
    runner.stop(by="the web page")
    thread.join(30)
    (outcome,) = out
    assert outcome.reason == "interrupt" and outcome.exit_code == 130
    assert outcome.message.startswith("Stopped by the web page, pen parked.")
    assert "plotkit plot" in outcome.message and "--resume" in outcome.message
    assert isinstance(events[-1], Stopped)
    assert board.wait_idle() and board.pen_up and board._mm() == (0.0, 0.0)


def test_stop_at_a_prompt_quits_there(svg, emulator):
    board = emulator(speedup=40)
    runner = PlotRunner(PlotRequest(svg, port=board.start()), lambda e: None)
    thread, out = _in_thread(runner)
    while runner.waiting is None:
        threading.Event().wait(0.01)
    runner.stop()
    thread.join(30)
    assert out[0].reason == "quit" and not board.paper.strokes


def test_an_error_in_the_listener_ends_the_plot_with_the_pen_raised(svg, emulator):
    board = emulator(speedup=20)

    def listener(event):
        if isinstance(event, Progressed) and event.status.drawn_mm > 20:
            raise RuntimeError("the face broke")

    outcome = PlotRunner(PlotRequest(svg, port=board.start(), yes=True), listener).run()
    assert outcome.reason == "error" and outcome.exit_code == 1 and "the face broke" in outcome.message
    assert isinstance(outcome.error, RuntimeError)
    assert board.wait_idle() and board.pen_up
    journal = load_journal(journal_path(svg))
    assert journal.stopped_by == "error" and journal.drawn_mm > 20


def test_bad_input_is_refused_at_construction(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        PlotRunner(PlotRequest(tmp_path / "missing.svg"))


def test_a_failure_is_announced_as_failed(svg, emulator):
    board = emulator(speedup=40, faults=Faults(drop_after=60))
    events = []
    outcome = PlotRunner(PlotRequest(svg, port=board.start(), yes=True), events.append).run()
    assert outcome.reason == "link" and outcome.exit_code == 1 and isinstance(events[-1], Failed)
