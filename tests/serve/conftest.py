"""Fixtures for the web page: ``plotkit serve`` as a real process and a real Chromium driven
by Playwright (the system's own executable)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

URL = re.compile(r"open (http://\S+)")


@dataclass
class Served:
    """A running ``plotkit serve``; ``http`` talks to it."""

    proc: subprocess.Popen
    url: str
    folder: Path
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def state(self) -> dict:
        return self.http.get("/api/state").json()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start ``plotkit serve FOLDER --listen 127.0.0.1:0 ARGS...``; each is stopped at the end."""
    started: list[Served] = []

    def start(folder: Path, *args: str) -> Served:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            [sys.executable, "-m", "plotkit", "serve", str(folder), "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = proc.stdout.readline()
        match = URL.search(line)
        if match is None:
            proc.kill()
            raise AssertionError(f"no URL printed: {line!r} {proc.stderr.read()}")
        served = Served(proc, match.group(1).rstrip("/"), folder)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium. In CI its absence fails the tests instead of skipping them."""
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium for the browser tests: apt-get install -y chromium")
        pytest.skip("no chromium on this machine: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield chromium
        chromium.close()
