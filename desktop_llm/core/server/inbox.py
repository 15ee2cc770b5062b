"""A job's events, handed from the model's thread to the server's event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


class Inbox:
    """The model's thread only appends; it wakes the event loop when the reader waits and wants
    the event now. A stream reads in intervals (`not_before`), so a fast model's tokens travel
    in groups: one wake, one write and one chunk for the client to parse per group, instead of
    per token, on a machine whose cores the model is using. An urgent event (the end) wakes the
    reader at once."""

    def __init__(self, loop: asyncio.AbstractEventLoop, urgent: Callable[[object], bool] = lambda event: False):
        self._loop = loop
        self._urgent = urgent
        self._lock = threading.Lock()
        self._items: list = []
        self._waiter: asyncio.Future | None = None
        self._not_before = 0.0

    def put_threadsafe(self, event) -> None:
        """From any thread; raises RuntimeError once the loop is closed."""
        if self._loop.is_closed():
            raise RuntimeError("the event loop is closed")
        with self._lock:
            self._items.append(event)
            waiter = self._waiter
            if waiter is None or (time.monotonic() < self._not_before and not self._urgent(event)):
                return
            self._waiter = None  # one wake per wait
        self._loop.call_soon_threadsafe(_wake, waiter)

    async def take(self, timeout: float, not_before: float = 0.0) -> list:
        """Every event that has arrived, once there is one and the clock (`time.monotonic`) has
        passed `not_before`, or as soon as an urgent one arrives; [] after `timeout` seconds
        without any."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                now = time.monotonic()
                if self._items and (now >= not_before or any(self._urgent(e) for e in self._items)):
                    items, self._items = self._items, []
                    return items
                if now >= deadline:
                    return []
                waiter = self._waiter = self._loop.create_future()
                self._not_before = not_before
            wake_at = not_before if now < not_before < deadline else deadline  # early events wait for it
            timer = self._loop.call_later(wake_at - now, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                with self._lock:
                    if self._waiter is waiter:
                        self._waiter = None


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)
