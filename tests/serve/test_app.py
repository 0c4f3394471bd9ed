"""The web app's API through Starlette's test client, plotting on the ``sim`` backend (which
waits at every prompt like a plotter): access, bad input, one plot at a time, the queue and
the stopped plot across a restart, and notifications to a local receiver."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from plotkit.serve.app import ServeConfig, create_app
from plotkit.serve.state import STATE_FILE
from tests.drawings import write_layers
from tests.plot.test_plot import _layers
from tests.serve.test_uploads import SVG

TOKEN = "a-token-long-enough-0123"
XXE = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>'


@pytest.fixture
def folder(tmp_path) -> Path:
    write_layers(tmp_path / "a.svg", _layers(1))
    write_layers(tmp_path / "b.svg", _layers(2))
    return tmp_path


@pytest.fixture
def client() -> Iterator[Callable[..., TestClient]]:
    """Clients of apps made with ``client(folder, **config)``; their plots are parked at the end."""
    apps = []

    def make(folder: Path, **config) -> TestClient:
        app = create_app(ServeConfig(folder, backend="sim", **config))
        apps.append(app)
        host = config.get("host", "127.0.0.1")
        return TestClient(app, base_url=f"http://{host}:8000")

    yield make
    for app in apps:
        app.state.desk.shutdown()


def _until_asked(c: TestClient, kind: str = "pen") -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        plot = c.get("/api/state").json()["plot"]
        if plot and plot["question"] and plot["question"]["kind"] == kind:
            return plot["question"]
        time.sleep(0.02)
    raise AssertionError(f"no {kind} question")


def _answer_all(c: TestClient) -> list[str]:
    """Answer every question with continue until the plot ends; the kinds asked."""
    kinds, answered = [], None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        plot = c.get("/api/state").json()["plot"]
        if plot is None or plot["state"] in ("finished", "stopped", "error"):
            return kinds
        q = plot["question"]
        if q and q["id"] != answered:
            kinds.append(q["kind"])
            answered = q["id"]
            c.post("/api/answer", json={"id": q["id"], "choice": "continue"})
        time.sleep(0.01)
    raise AssertionError(f"the plot did not end; asked {kinds}")


def _until_state(c: TestClient, state: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        snap = c.get("/api/state").json()
        run = snap["plot"] or snap["last"]
        if run and run["state"] == state:
            return snap
        time.sleep(0.02)
    raise AssertionError(f"never {state}: {snap}")


def test_the_page_loads_nothing_from_elsewhere(folder, client):
    """No CDN: the page works on a plotter's computer without internet."""
    c = client(folder)
    page = c.get("/").text
    for link in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert link.startswith("/static/") or link.startswith("data:"), link
        assert link.startswith("data:") or c.get(link).status_code == 200
    script = c.get("/static/app.js").text + c.get("/static/style.css").text
    assert re.findall(r"https?://[^\s\"'`]*", script) == ["http://www.w3.org/2000/svg"]  # a namespace name


def test_off_loopback_every_request_needs_the_token(folder, client):
    c = client(folder, host="0.0.0.0", token=TOKEN)
    for path in ("/", "/api/setup", "/api/state", "/static/app.js", "/api/drawing?name=a.svg"):
        assert c.get(path).status_code == 401, path
    assert c.get("/api/setup", params={"token": "x" * len(TOKEN)}).status_code == 401
    assert c.post("/api/stop", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/api/setup", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    # the printed URL: the token moves into a same-site cookie, out of the address bar
    first = c.get("/", params={"token": TOKEN}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "samesite=strict" in first.headers["set-cookie"].lower()
    assert c.get("/api/setup").status_code == 200  # the cookie now
    c.cookies.clear()
    assert c.get("/api/setup").status_code == 401


def test_on_loopback_no_token_but_no_other_host_or_site(folder, client):
    c = client(folder)
    assert c.get("/api/setup").json()["drawings"] == ["a.svg", "b.svg"]
    assert c.get("/api/setup", headers={"Host": "evil.example:8000"}).status_code == 400  # a rebound name
    refused = c.post("/api/stop", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403


TRAVERSALS = ["../a.svg", "..%2Fa.svg", "/etc/passwd", "sub/a.svg", ".plotkit-serve.json"]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_names_never_leave_the_folder(folder, client, name):
    c = client(folder)
    for response in (
        c.get(f"/api/drawing?name={name}"),
        c.post("/api/plot", json={"name": name}),
        c.post("/api/queue", json={"name": name}),
        c.post(f"/api/upload?name={name}", content=SVG),
    ):
        assert response.status_code == 400 and "drawing name" in response.json()["error"], response.text


@pytest.mark.parametrize(
    "name, data, problem",
    [
        ("big.svg", SVG + b" " * (21 * 2**20), "MB limit"),
        ("notes.txt", b"hello", "drawing name"),
        ("pic.svg", b"\x89PNG\r\n\x1a\n", "not an SVG"),
        ("xxe.svg", XXE, "entities"),
    ],
)
def test_bad_uploads_are_one_message_and_nothing_written(folder, client, name, data, problem):
    c = client(folder)
    before = sorted(p.name for p in folder.iterdir())
    response = c.post(f"/api/upload?name={name}", content=data)
    assert response.status_code == 400 and problem in response.json()["error"]
    assert sorted(p.name for p in folder.iterdir()) == before


def test_upload_then_preview_and_estimate(folder, client):
    c = client(folder)
    assert c.post("/api/upload?name=new.svg", content=SVG).json() == {"name": "new.svg"}
    view = c.get("/api/drawing", params={"name": "a.svg", "rotate": "1"}).json()
    assert view["page_mm"] == [150.0, 200.0] and len(view["layers"]) == 3 and len(view["strokes"]) == 12
    assert view["estimate"]["lifts"] == 12 and view["estimate"]["seconds"] > 0 and view["problem"] is None
    big = write_layers(folder / "big.svg", [("#000000", 0.3, [[(10, 10), (400, 10)]])], (420, 297))
    assert "beyond the axidraw-v3 travel" in c.get(f"/api/drawing?name={big.name}").json()["problem"]
    refused = c.post("/api/plot", json={"name": big.name})
    assert refused.status_code == 400 and "beyond" in refused.json()["error"]
    assert c.post("/api/plot", json={"name": "a.svg", "settings": {"plotter": "nope"}}).status_code == 400
    bad = c.post("/api/plot", json={"name": "a.svg", "settings": {"pause_every": "soon"}})
    assert bad.status_code == 400 and "duration" in bad.json()["error"]


def test_one_plotter_one_plot(folder, client):
    c = client(folder)
    assert c.post("/api/plot", json={"name": "a.svg"}).status_code == 200
    question = _until_asked(c)
    second = c.post("/api/plot", json={"name": "b.svg"})
    assert second.status_code == 409
    said = "a.svg is plotting: one plotter, one plot; queue b.svg or stop that plot first"
    assert second.json()["error"] == said
    assert c.post("/api/next").status_code == 400  # nothing queued
    assert c.post("/api/answer", json={"id": question["id"], "choice": "continue"}).status_code == 200
    late = c.post("/api/answer", json={"id": question["id"], "choice": "continue"})  # a second page, late
    assert late.status_code == 409 and "answered already" in late.json()["error"]


def test_queue_and_stopped_plot_survive_a_restart(folder, client):
    c = client(folder)
    for name in ("b.svg", "a.svg"):
        assert c.post("/api/queue", json={"name": name, "settings": {"rotate": True}}).status_code == 200
    assert c.post("/api/plot", json={"name": "a.svg", "settings": {"pause_every": "5s"}}).status_code == 200
    _until_asked(c)
    c.post("/api/stop")
    _until_state(c, "stopped")
    assert (folder / STATE_FILE).exists()

    again = client(folder)  # a new server on the same folder
    snap = again.get("/api/state").json()
    assert [item["name"] for item in snap["queue"]] == ["b.svg", "a.svg"]
    assert snap["queue"][0]["settings"]["rotate"] is True
    assert snap["plot"]["name"] == "a.svg" and snap["plot"]["state"] == "stopped"
    assert snap["plot"]["settings"]["pause_every"] == "5s"
    refused = again.post("/api/next")
    assert refused.status_code == 409 and "resume it or start it over" in refused.json()["error"]
    assert again.post("/api/resume").status_code == 200
    kinds = _answer_all(again)
    assert kinds.count("pen") == 3 and "pause" in kinds  # pause every 5 s, kept across the restart
    assert _until_state(again, "finished")["last"]["name"] == "a.svg"
    assert again.post("/api/unqueue", json={"index": 1}).status_code == 200
    assert again.post("/api/next").status_code == 200  # the paper is changed: b.svg
    assert [item["name"] for item in again.get("/api/state").json()["queue"]] == []
    assert _until_asked(again)["message"].startswith("Put in pen 1 of 3")


def test_owner_is_called_back_at_pen_changes_stop_and_end(folder, client, receiver):
    c = client(folder, notify=(receiver.url,))
    c.post("/api/plot", json={"name": "a.svg"})
    assert _answer_all(c) == ["pen", "pen", "pen"]
    _until_state(c, "finished")
    messages = receiver.wait_for(4)
    assert [m["title"] for m in messages] == [
        "plotkit: pen change, a.svg",
        "plotkit: pen change, a.svg",
        "plotkit: pen change, a.svg",
        "plotkit: finished, a.svg",
    ]
    assert messages[1]["message"].startswith("Put in pen 2 of 3: '2' (#d01010, 0.3 mm).\nLayer 2/3 2, ")
    assert "of plotting left" in messages[1]["message"]
    c.post("/api/plot", json={"name": "b.svg"})
    _until_asked(c)
    c.post("/api/stop")
    _until_state(c, "stopped")
    assert receiver.wait_for(6)[-1]["title"] == "plotkit: stopped, b.svg"


def test_a_drawing_with_an_unfinished_journal_offers_resume_or_start_over(folder, client):
    c = client(folder)
    c.post("/api/plot", json={"name": "a.svg"})
    _until_asked(c)
    c.post("/api/stop")
    _until_state(c, "stopped")
    (folder / STATE_FILE).unlink()  # as after a plot stopped at a terminal: the journal alone
    fresh = client(folder)
    refused = fresh.post("/api/plot", json={"name": "a.svg"})
    assert refused.status_code == 409 and refused.json()["error"] == (
        "a.svg has an unfinished plot: resume it, or start it over"
    )
    assert fresh.get("/api/state").json()["plot"]["state"] == "stopped"  # the page offers both
    assert fresh.post("/api/start-over").status_code == 200
    assert not (folder / "a.svg.plotkit.json").exists()
    assert fresh.get("/api/state").json()["plot"] is None
    assert fresh.post("/api/plot", json={"name": "a.svg"}).status_code == 200
