"""``plotkit serve`` as a process: a stop signal parks the plot and saves it, and the queue
and the plot come back with the next start; bad options are one line and exit 2."""

from __future__ import annotations

import signal
import socket
import time

import httpx
import numpy as np
import pytest

from plotkit.plot.journal import journal_path, load_journal
from tests.drawings import write_layers
from tests.plot.test_plot import _coverage, _input_strokes, _layers


def _until(condition, timeout: float = 30, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def _question(served, answered: int = 0) -> dict | None:
    plot = served.state()["plot"]
    q = plot and plot["question"]
    return q if q and q["id"] != answered else None


def _plot_to_the_end(served) -> None:
    answered = 0
    while (plot := served.state()["plot"]) is not None:
        assert plot["state"] not in ("stopped", "error"), plot
        if (q := plot["question"]) and q["id"] != answered:
            served.http.post("/api/answer", json={"id": q["id"], "choice": "continue"})
            answered = q["id"]
        time.sleep(0.05)


def test_sigterm_parks_and_saves_and_a_restart_resumes(tmp_path, serve, emulator):
    svg = write_layers(tmp_path / "a.svg", _layers(1))
    write_layers(tmp_path / "b.svg", _layers(2))
    board = emulator(speedup=12, pen_change_s=0.05)
    port = board.start()
    served = serve(tmp_path, "--port", port)
    assert served.http.post("/api/queue", json={"name": "b.svg"}).status_code == 200
    assert served.http.post("/api/plot", json={"name": "a.svg"}).status_code == 200
    q = _until(lambda: _question(served), what="the first pen")
    served.http.post("/api/answer", json={"id": q["id"], "choice": "continue"})
    _until(lambda: served.state()["plot"]["status"]["strokes_done"] >= 2, what="two strokes")
    assert served.stop(signal.SIGTERM) == 0
    said = served.proc.stdout.read()
    assert "The plot of a.svg is parked and saved: start plotkit serve again and Resume it." in said
    journal = load_journal(journal_path(svg))
    assert journal.stopped_by == "interrupt" and not journal.finished and journal.strokes_done >= 2
    assert board.wait_idle() and board.pen_up and np.allclose(board._mm(), 0)  # parked, pen up

    again = serve(tmp_path, "--port", port)
    snap = again.state()
    assert snap["plot"]["name"] == "a.svg" and snap["plot"]["state"] == "stopped"
    assert [item["name"] for item in snap["queue"]] == ["b.svg"]
    assert again.http.post("/api/resume").status_code == 200
    _plot_to_the_end(again)
    assert board.wait_idle()
    counts = _coverage(board.paper.strokes, _input_strokes(svg))
    assert all((c > 0.97).all() and (c < 2.03).all() for c in counts)
    assert again.state()["last"]["state"] == "finished"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=["Ctrl-C", "SIGHUP"])
def test_ctrl_c_and_sighup_stop_a_plot_waiting_at_a_prompt_and_keep_it(tmp_path, serve, sig):
    svg = write_layers(tmp_path / "a.svg", _layers(1))
    served = serve(tmp_path, "--backend", "sim")
    served.http.post("/api/plot", json={"name": "a.svg"})
    _until(lambda: _question(served), what="the first pen")
    assert served.stop(sig) == 0
    assert load_journal(journal_path(svg)).stopped_by == "quit"
    assert serve(tmp_path, "--backend", "sim").state()["plot"]["state"] == "stopped"


def test_off_loopback_the_printed_url_carries_the_token(tmp_path, serve):
    served = serve(tmp_path, "--backend", "sim", "--listen", "0.0.0.0:0")
    assert "?token=" in served.url
    port = served.url.split(":")[2].split("/")[0]
    local = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{local}/api/setup").status_code == 401
    token = served.url.split("token=")[1]
    assert httpx.get(f"{local}/api/setup", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_bad_options_are_one_line_and_exit_2(tmp_path, runner):
    from plotkit.cli.app import app

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = f"127.0.0.1:{taken.getsockname()[1]}"
    for args, problem in (
        ([str(tmp_path / "nope")], "no such folder"),
        ([str(tmp_path), "--listen", "8000"], "--listen takes HOST:PORT"),
        ([str(tmp_path), "--notify", "nonsense"], "not a notification URL"),
        ([str(tmp_path), "--plotter", "nope"], "nope"),
        ([str(tmp_path), "--listen", "0.0.0.0:0", "--token", "short"], "at least 16 characters"),
        ([str(tmp_path), "--listen", busy], "cannot listen there"),
    ):
        result = runner.invoke(app, ["serve", *args])
        assert result.exit_code == 2 and problem in result.output, (args, result.output)
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2
    taken.close()
