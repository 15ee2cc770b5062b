"""A job's events, handed from the model's thread to the server's event loop."""

from __future__ import annotations

import asyncio
from collections import deque


class Inbox:
    """Waiting for the next event costs one future and one timer. asyncio.wait_for on a queue
    made a task at each wait, that is at each token, ~100 times a second while a reply streams,
    on a machine whose cores the model is using."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._items: deque = deque()
        self._waiter: asyncio.Future | None = None

    def put_threadsafe(self, event) -> None:
        """From any thread; raises RuntimeError once the loop is closed."""
        self._loop.call_soon_threadsafe(self._put, event)

    def _put(self, event) -> None:
        self._items.append(event)
        if self._waiter is not None:
            _wake(self._waiter)

    def empty(self) -> bool:
        return not self._items

    def get_nowait(self):
        return self._items.popleft()

    async def get(self, timeout: float):
        """The next event, or None when `timeout` seconds pass without one."""
        if not self._items:
            waiter = self._waiter = self._loop.create_future()
            timer = self._loop.call_later(timeout, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
            if not self._items:
                return None
        return self._items.popleft()


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)
