"""The event stream keeps each page on the newest state: a state published before another
but delivered after it (two threads racing to the loop) never replaces it, and a change made
while a page connects is not lost between its first event and the next."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from plotkit.serve.hub import Hub


def _run(coroutine):
    """``asyncio.run`` on a thread of its own: the browser tests' Playwright holds a loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_an_older_state_arriving_late_does_not_replace_a_newer_one():
    hub = Hub()

    async def page() -> list[str]:
        stream = hub.stream(lambda: (1, "one"))
        seen = [await anext(stream)]
        hub.publish(3, "three")
        hub.publish(2, "two")  # computed before three, delivered after it
        seen.append(await anext(stream))
        hub.close()
        return seen + [event async for event in stream]

    assert _run(page()) == ["data: one\n\n", "data: three\n\n"]


def test_a_page_connecting_gets_the_state_asked_after_it_listens():
    hub = Hub()

    async def connect() -> list[str]:
        states = iter([(5, "five")])
        stream = hub.stream(lambda: next(states))
        first = await anext(stream)
        hub.publish(4, "four")  # computed before the page listened, delivered after
        hub.publish(6, "six")
        second = await anext(stream)
        hub.close()
        return [first, second] + [event async for event in stream]

    assert _run(connect()) == ["data: five\n\n", "data: six\n\n"]
