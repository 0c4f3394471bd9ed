"""The server's state pushed to every open page as server-sent events. Each page gets the
whole state, the newest only: a slow phone skips what it missed instead of queueing it, and
a page opened mid-plot sees the plot at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

KEEPALIVE_S = 15.0  # a comment this often keeps proxies open and notices closed pages


class _Page:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.version = -1
        self.latest: str | None = ""
        self.changed = asyncio.Event()

    def put(self, version: int, data: str | None) -> None:
        """Keep ``data`` unless this page already holds a newer state (threads race to the loop)."""
        if data is not None and version < self.version:
            return
        self.version, self.latest = version, data
        self.changed.set()


class Hub:
    def __init__(self) -> None:
        self._pages: set[_Page] = set()
        self._lock = threading.Lock()
        self.closed = False

    def publish(self, version: int, data: str | None) -> None:
        """Send state ``version``, ``data`` (None: the server is going, end the streams) from
        any thread."""
        with self._lock:
            pages = list(self._pages)
        for page in pages:
            try:
                page.loop.call_soon_threadsafe(page.put, version, data)
            except RuntimeError:  # its loop is gone with the server
                pass

    def close(self) -> None:
        self.closed = True
        self.publish(0, None)

    async def stream(self, first: Callable[[], tuple[int, str]]) -> AsyncIterator[str]:
        """Server-sent events: the state now (``first()``, asked once the page is listening, so
        no change falls between the two), then each newer state, until the server closes."""
        page = _Page()
        with self._lock:
            self._pages.add(page)
        page.put(*first())
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
