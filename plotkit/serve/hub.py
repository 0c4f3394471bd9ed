"""The server's state pushed to every open page as server-sent events. Each page gets the
whole state, the newest only: a slow phone skips what it missed instead of queueing it, and
a page opened mid-plot sees the plot at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

KEEPALIVE_S = 15.0  # a comment this often keeps proxies open and notices closed pages


class _Page:
    def __init__(self, latest: str):
        self.loop = asyncio.get_running_loop()
        self.latest: str | None = latest
        self.changed = asyncio.Event()
        self.changed.set()

    def put(self, data: str | None) -> None:
        self.latest = data
        self.changed.set()


class Hub:
    def __init__(self) -> None:
        self._pages: set[_Page] = set()
        self._lock = threading.Lock()
        self.closed = False

    def publish(self, data: str | None) -> None:
        """Send ``data`` (None: the server is going, end the streams) from any thread."""
        with self._lock:
            pages = list(self._pages)
        for page in pages:
            try:
                page.loop.call_soon_threadsafe(page.put, data)
            except RuntimeError:  # its loop is gone with the server
                pass

    def close(self) -> None:
        self.closed = True
        self.publish(None)

    async def stream(self, first: str) -> AsyncIterator[str]:
        """Server-sent events: ``first``, then each newer state, until the server closes."""
        page = _Page(first)
        with self._lock:
            self._pages.add(page)
        try:
            while not self.closed:
                try:
                    await asyncio.wait_for(page.changed.wait(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                page.changed.clear()
                if page.latest is None:
                    return
                yield f"data: {page.latest}\n\n"
        finally:
            with self._lock:
                self._pages.discard(page)
