"""Calling the owner back through apprise: URLs checked before anything starts, messages
that say what happened where, and the last ones delivered before the process ends."""

from __future__ import annotations

import pytest

from plotkit.errors import UserError
from plotkit.plot.notify import Notifier, PlotEvent


def test_an_unknown_url_is_refused_before_anything_starts():
    with pytest.raises(UserError, match="--notify 'nonsense' is not a notification URL apprise knows"):
        Notifier(["json://127.0.0.1:9/", "nonsense"])
    assert not Notifier([])  # nobody to call: sending is a no-op
    Notifier([]).send(PlotEvent("finished", "d.svg", "Plotted"))


def test_messages_name_the_drawing_the_layer_and_the_time_left():
    pen = PlotEvent("pen", "d.svg", "Put in pen 2 of 3: 'red' (#d01010)", "2/3 red", 754)
    assert pen.title == "plotkit: pen change, d.svg"
    assert pen.body == "Put in pen 2 of 3: 'red' (#d01010). (layer 2/3 red, 12m34s of plotting left)"
    done = PlotEvent("finished", "d.svg", "Plotted to the end", "3/3 blue", 0)
    assert done.body == "Plotted to the end. (layer 3/3 blue)"


def test_close_delivers_what_is_queued(receiver):
    notifier = Notifier([receiver.url])
    for kind in ("pause", "stopped", "error"):
        notifier.send(PlotEvent(kind, "d.svg", f"a {kind}", "1/1 black", 60))
    notifier.close()
    titles = [m["title"] for m in receiver.messages]
    assert titles == ["plotkit: paused, d.svg", "plotkit: stopped, d.svg", "plotkit: error, d.svg"]
    assert receiver.messages[0]["message"] == "a pause. (layer 1/1 black, 1m00s of plotting left)"
