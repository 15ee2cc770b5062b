"""Slow core calls (Hub requests, trial loads of an imported file) off the
GUI thread; the result or the error comes back as a call on the GUI thread."""

from __future__ import annotations

import logging
import threading
from typing import Callable, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.errors import UserError

log = logging.getLogger(__name__)


T = TypeVar("T")


class Background(QObject):
    _done = Signal(int, object)
    _failed = Signal(int, str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._callbacks: dict[int, tuple[Callable, Callable]] = {}
        self._next = 0
        self._done.connect(self._on_done)
        self._failed.connect(self._on_failed)

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def run(self, work: Callable[[], T], on_done: Callable[[T], None],
            on_failed: Callable[[str], None]) -> int:
        """Call `work()` on a thread; then `on_done(result)` or `on_failed(message)` here."""
        self._next += 1
        self._callbacks[self._next] = (on_done, on_failed)
        threading.Thread(target=self._work, args=(self._next, work), daemon=True,
                         name="gui-background").start()
        return self._next

    def _work(self, ticket: int, work: Callable[[], object]) -> None:
        try:
            result = work()
        except UserError as exc:
            self._emit(self._failed, ticket, exc.message, exc.detail)
        except Exception as exc:
            log.exception("background task failed")
            self._emit(self._failed, ticket, f"Something went wrong: {exc}", repr(exc))
        else:
            self._emit(self._done, ticket, result)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window closed while the work ran
            pass

    def _on_done(self, ticket: int, result: object) -> None:
        on_done, _ = self._callbacks.pop(ticket, (None, None))
        if on_done:
            on_done(result)

    def _on_failed(self, ticket: int, message: str, detail: str) -> None:
        _, on_failed = self._callbacks.pop(ticket, (None, None))
        if on_failed:
            on_failed(message)
