"""Calling the owner back through apprise: URLs checked before anything starts, messages
that say what happened where, the last ones delivered before the process ends, and
``plotkit plot --notify`` calling back at a fault and at the end."""

from __future__ import annotations

import pytest

from plotkit.cli.app import app
from plotkit.errors import UserError
from plotkit.plot.notify import Notifier, PlotEvent
from plotkit.plotter.emulator import Faults
from tests.drawings import write_layers
from tests.plot.test_plot import _layers


def test_an_unknown_url_is_refused_before_anything_starts():
    with pytest.raises(UserError, match="--notify 'nonsense' is not a notification URL apprise knows"):
        Notifier(["json://127.0.0.1:9/", "nonsense"])
    assert not Notifier([])  # nobody to call: sending is a no-op
    Notifier([]).send(PlotEvent("finished", "d.svg", "Plotted"))


def test_messages_name_the_drawing_the_layer_and_the_time_left():
    pen = PlotEvent("pen", "d.svg", "Put in pen 2 of 3: 'red' (#d01010).", "2/3 red", 754)
    assert pen.title == "plotkit: pen change, d.svg"
    assert pen.body == "Put in pen 2 of 3: 'red' (#d01010).\nLayer 2/3 red, 12m34s of plotting left."
    done = PlotEvent("finished", "d.svg", "Plotted to the end.", "3/3 blue", 0)
    assert done.body == "Plotted to the end.\nLayer 3/3 blue."


def test_close_delivers_what_is_queued(receiver):
    notifier = Notifier([receiver.url])
    for kind in ("pause", "stopped", "error"):
        notifier.send(PlotEvent(kind, "d.svg", f"A {kind}.", "1/1 black", 60))
    notifier.close()
    titles = [m["title"] for m in receiver.messages]
    assert titles == ["plotkit: paused, d.svg", "plotkit: stopped, d.svg", "plotkit: error, d.svg"]
    assert receiver.messages[0]["message"] == "A pause.\nLayer 1/1 black, 1m00s of plotting left."


def test_plot_calls_back_at_a_lost_link_and_at_the_end(tmp_path, runner, emulator, receiver):
    svg = write_layers(tmp_path / "d.svg", _layers(1))
    board = emulator(speedup=60, faults=Faults(drop_after=80))
    args = ["plot", str(svg), "--yes", "--notify", receiver.url, "--port"]
    assert runner.invoke(app, [*args, board.start()]).exit_code == 1
    (lost,) = receiver.wait_for(1)
    assert lost["title"] == "plotkit: error, d.svg" and lost["message"].startswith("Lost the plotter: ")
    assert "plotkit plot" in lost["message"] and "--resume" in lost["message"]  # how to go on
    board.faults = Faults()
    assert runner.invoke(app, [*args, board.start(), "--resume"]).exit_code == 0
    done = receiver.wait_for(2)[1]
    assert done["title"] == "plotkit: finished, d.svg"
    assert done["message"] == "Plotted to the end.\nLayer 3/3 3."
