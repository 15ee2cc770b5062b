"""Moves model-host events onto the GUI thread as Qt signals.

The host calls `deliver` on its own thread; signals emitted there reach
slots of GUI-thread objects as queued calls, so widgets are only touched on
the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.events import Event, Failed, Finished, Partial, Progress, Started, Token


class JobBridge(QObject):
    started = Signal(dict)
    token = Signal(str)
    progress = Signal(int, int, str)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)

    def deliver(self, event: Event) -> None:
        if isinstance(event, Token):
            self.token.emit(event.text)
        elif isinstance(event, Progress):
            self.progress.emit(event.done, event.total, event.label)
        elif isinstance(event, Partial):
            self.partial.emit(event.piece)
        elif isinstance(event, Started):
            self.started.emit(dict(event.info))
        elif isinstance(event, Finished):
            self.finished.emit(event.result)
        elif isinstance(event, Failed):
            self.failed.emit(event.user_message, event.detail)
