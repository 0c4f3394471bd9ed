"""The page in a real Chromium against ``plotkit serve`` and the EiBotBoard emulator: a
drawing opened and previewed, plotted to the end through pen-change dialogs and a reload,
stopped and resumed, with what the emulator drew checked against the drawing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from plotkit.plot.drawing import read_drawing
from plotkit.plot.journal import journal_path, load_journal
from plotkit.plot.schedule import estimate
from plotkit.presets import load_plotter
from plotkit.units import format_duration
from tests.drawings import write_layers
from tests.plot.test_plot import _coverage, _input_strokes, _layers

XXE = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>'


def _until(condition: Callable[[], object], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def _answer(page, expect: str, board) -> None:
    """Wait for the prompt dialog asking for ``expect``, then, as the person at the plotter
    would, for the carriage to rest at home long enough to change the pen (the emulator tells
    a pen change by that rest, in wall time), and press the dialog's main button."""
    asking = "d => d.open && document.getElementById('prompt-message').textContent.includes(%r)"
    try:
        page.wait_for_function(f"({asking % expect})(document.getElementById('prompt'))", timeout=30_000)
    except Exception:
        raise AssertionError(f"not asked {expect!r}; the page says {page.inner_text('body')!r}") from None
    assert board.wait_idle()
    time.sleep(2 * board.pen_change_s)
    page.click("#prompt-continue")


def _strokes_done(served) -> int:
    plot = served.state()["plot"]
    return plot["status"]["strokes_done"] if plot and plot["status"] else 0


def _drawn_as_the_drawing(board, svg: Path, max_restarts: int = 0, pens: int = 3) -> None:
    """Every segment of the drawing drawn once (twice only where a plot restarted), one layer
    of the record per pen the plot asked for."""
    assert board.wait_idle()
    counts = _coverage(board.paper.strokes, _input_strokes(svg))
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    assert sum(int((c > 1.03).sum()) for c in counts) <= max_restarts  # only where it stopped
    assert board.paper.layer_count == pens and board.pen_up


def _opened(svg: Path, speedup: float, serve, emulator, browser):
    """An emulator, ``plotkit serve`` on its port and a laptop-sized page showing ``svg``."""
    board = emulator(speedup=speedup, pen_change_s=0.05)
    served = serve(svg.parent, "--port", board.start())
    page = browser.new_page(viewport={"width": 1280, "height": 820})
    page.goto(served.url)
    page.select_option("#drawings", svg.name)
    page.wait_for_selector("#plot:not([disabled])")
    return board, served, page


def test_open_preview_plot_through_pen_dialogs_reloads_and_a_second_page(tmp_path, serve, emulator, browser):
    svg = write_layers(tmp_path / "drawing.svg", _layers(1))
    board, served, page = _opened(svg, 10, serve, emulator, browser)
    assert page.locator("#sheet g.layer").count() == 3 and page.locator("#legend li").count() == 3
    strokes = page.eval_on_selector_all("#sheet g.layer", "gs => gs.map(g => g.getAttribute('stroke'))")
    assert strokes == ["#000000", "#d01010", "#1030d0"]  # each layer in its pen's colour
    planned = estimate(read_drawing(svg), load_plotter("axidraw-v3"))
    assert page.inner_text("#est-time") == format_duration(planned.seconds)
    assert page.inner_text("#est-lifts") == str(planned.lifts)

    page.click("#plot")
    page.wait_for_function("document.getElementById('prompt').open")
    # the answer to the click, computed before the question, arrives after it: the dialog stays
    page.evaluate("show({...server, version: server.version - 1, plot: {...server.plot, question: null}})")
    assert page.evaluate("document.getElementById('prompt').open")
    _answer(page, "pen 1 of 3", board)
    _until(lambda: _strokes_done(served) >= 1, what="the first stroke")
    page.reload()  # the plot goes on, and the reloaded page follows it
    page.wait_for_selector("#run:not([hidden])")
    assert page.inner_text("#run-name") == "drawing.svg"
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(served.url)
    _answer(phone, "pen 2 of 3", board)  # a second page answers; the first one's dialog goes
    _answer(page, "pen 3 of 3", board)
    page.close()
    phone.close()
    _until(lambda: served.state()["last"], what="the end, with no page open")
    page = browser.new_page()
    page.goto(served.url)
    page.wait_for_selector("#run.finished")
    assert page.inner_text("#plotter-state") == "Idle" and page.inner_text("#run-percent") == "100%"
    _drawn_as_the_drawing(board, svg)
    assert load_journal(journal_path(svg)).finished


def test_pause_stop_then_resume_from_the_page(tmp_path, serve, emulator, browser):
    svg = write_layers(tmp_path / "drawing.svg", _layers(2))
    board, served, page = _opened(svg, 4, serve, emulator, browser)
    page.click("#plot")
    _answer(page, "pen 1 of 3", board)
    _until(lambda: _strokes_done(served) >= 2, what="two strokes")

    # a bad upload is one message on the page, and the plot runs on
    page.set_input_files("#file", files=[{"name": "evil.svg", "mimeType": "image/svg+xml", "buffer": XXE}])
    page.wait_for_selector("#toast:not([hidden])")
    assert "entities" in page.inner_text("#toast")
    assert served.state()["plot"]["state"] == "running" and not (tmp_path / "evil.svg").exists()

    page.click("#pause")  # the next segment boundary, parked, and a dialog
    _answer(page, "Paused", board)

    page.click("#stop")
    page.wait_for_selector("#run.stopped", timeout=30_000)
    journal = load_journal(journal_path(svg))
    assert journal.stopped_by == "interrupt" and not journal.finished and journal.position_mm == (0, 0)
    assert board.wait_idle() and board.pen_up and np.allclose(board._mm(), 0)
    assert page.is_visible("#resume") and not page.is_visible("#stop")

    page.click("#resume")
    _answer(page, "Resuming: put in pen 1 of 3", board)
    _answer(page, "pen 2 of 3", board)
    _answer(page, "pen 3 of 3", board)
    page.wait_for_selector("#run.finished", timeout=30_000)
    _drawn_as_the_drawing(board, svg, max_restarts=2, pens=5)  # a pen may change at the pause and stop
    assert load_journal(journal_path(svg)).strokes_done == 12


@pytest.fixture(autouse=True)
def _close_pages(browser):
    yield
    for context in browser.contexts:
        context.close()
