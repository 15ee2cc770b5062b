"""Downloads in a queue, fetched one at a time on a worker thread.

Front ends watch it through listeners (called on the worker thread for every
change) and steer it by item id: pause keeps what arrived, resume carries on
from there, cancel deletes it. Unfinished downloads found on disk when the
queue starts (paused, or cut by a crash) are listed as paused, ready to resume.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from desktop_llm.core.enums import TextEnum
from desktop_llm.core.events import Failed, Finished
from desktop_llm.core.models.downloads import DownloadControl, Transfer
from desktop_llm.core.models.hub import RemoteModel
from desktop_llm.core.units import format_size

log = logging.getLogger(__name__)

class DownloadState(TextEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"  # what arrived is kept
    FAILED = "failed"  # what arrived is kept; Retry carries on
    DONE = "done"
    CANCELLED = "cancelled"  # what arrived is deleted

    @property
    def text(self) -> str:
        return {"queued": "Waiting", "running": "Downloading", "paused": "Paused", "failed": "Failed",
                "done": "Downloaded", "cancelled": "Cancelled"}[self.value]


@dataclass(frozen=True)
class DownloadItem:
    id: int
    remote: RemoteModel
    status: DownloadState
    done: int = 0  # bytes safely received
    label: str = ""  # bytes, speed and time left while running
    message: str = ""  # why it failed
    path: Path | None = None  # the model file, once done

    @property
    def total(self) -> int:
        return self.remote.size

    @property
    def key(self) -> tuple[str, str]:
        return self.remote.repo, self.remote.name

    @property
    def finished(self) -> bool:
        return self.status in (DownloadState.DONE, DownloadState.CANCELLED)

    @property
    def text(self) -> str:
        """One line for a person: status and progress."""
        if self.status == DownloadState.RUNNING and self.label:
            return self.label
        if self.status in (DownloadState.QUEUED, DownloadState.PAUSED) and self.done:
            return f"{self.status.text} at {format_size(self.done)} of {format_size(self.total)}"
        return f"{self.status.text} · {format_size(self.total)}"


Listener = Callable[[DownloadItem], None]


class DownloadQueue:
    def __init__(self, manager):
        self.manager = manager
        self._lock = threading.Condition()
        self._items: dict[int, DownloadItem] = {}
        self._controls: dict[int, DownloadControl] = {}
        self._cancelling: set[int] = set()
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._closing = False
        self._next_id = 1
        for remote, done in manager.paused():
            self._new(remote, DownloadState.PAUSED, done)

    # -- watching -------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def items(self) -> list[DownloadItem]:
        with self._lock:
            return list(self._items.values())

    def get(self, item_id: int) -> DownloadItem:
        with self._lock:
            return self._items[item_id]

    @property
    def busy(self) -> bool:
        return any(i.status in (DownloadState.QUEUED, DownloadState.RUNNING) for i in self.items())

    # -- steering -------------------------------------------------------------------
    def add(self, remote: RemoteModel) -> DownloadItem:
        """Queue a model; asking again for one already listed resumes it."""
        with self._lock:
            same = next((i for i in self._items.values() if i.key == (remote.repo, remote.name)
                         and not i.finished), None)
        if same is not None:
            return self.resume(same.id)
        with self._lock:
            item = self._new(remote, DownloadState.QUEUED)
            self._lock.notify_all()
        self._notify(item)
        self._start()
        return item

    def pause(self, item_id: int) -> DownloadItem:
        with self._lock:
            item = self._items[item_id]
            if item.status == DownloadState.QUEUED:
                item = self._set(item_id, status=DownloadState.PAUSED)
            elif item.status == DownloadState.RUNNING:
                self._controls[item_id].pause()  # the worker reports "paused" when it has stopped
                return item
            else:
                return item
        self._notify(item)
        return item

    def resume(self, item_id: int) -> DownloadItem:
        with self._lock:
            item = self._items[item_id]
            if item.status not in (DownloadState.PAUSED, DownloadState.FAILED):
                return item
            item = self._set(item_id, status=DownloadState.QUEUED, message="")
            self._lock.notify_all()
        self._notify(item)
        self._start()
        return item

    def cancel(self, item_id: int) -> DownloadItem:
        """Stop and delete what arrived."""
        with self._lock:
            item = self._items[item_id]
            if item.status == DownloadState.RUNNING:
                self._cancelling.add(item_id)
                self._controls[item_id].pause()
                return item
            if item.finished:
                return item
            item = self._set(item_id, status=DownloadState.CANCELLED, done=0, label="")
        self.manager.discard(item.remote)
        self._notify(item)
        return item

    def clear_finished(self) -> None:
        with self._lock:
            for item_id in [i.id for i in self._items.values() if i.finished]:
                del self._items[item_id]

    def shutdown(self, timeout: float = 10.0) -> None:
        """Pause the running download (what arrived is kept for next time)."""
        with self._lock:
            self._closing = True
            for control in self._controls.values():
                control.pause()
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the worker -------------------------------------------------------------------
    def _new(self, remote: RemoteModel, status: DownloadState, done: int = 0) -> DownloadItem:
        item = DownloadItem(self._next_id, remote, status, done)
        self._items[item.id] = item
        self._next_id += 1
        return item

    def _set(self, item_id: int, **changes) -> DownloadItem:
        item = self._items[item_id] = replace(self._items[item_id], **changes)
        return item

    def _notify(self, item: DownloadItem) -> None:
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:  # a listener's bug must not stop the downloads
                log.exception("download listener failed")

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="downloads", daemon=True)
                self._thread.start()

    def _next(self) -> DownloadItem | None:
        return next((i for i in self._items.values() if i.status == DownloadState.QUEUED), None)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closing and self._next() is None:
                    self._lock.wait()
                waiting = self._next()
                if self._closing or waiting is None:
                    return
                control = self._controls[waiting.id] = DownloadControl()
                item = self._set(waiting.id, status=DownloadState.RUNNING, message="")
            self._notify(item)
            self._fetch(item, control)

    def _fetch(self, item: DownloadItem, control: DownloadControl) -> None:
        changes: dict = {}
        try:
            for event in self.manager.download(item.remote, control):
                if isinstance(event, Transfer):
                    with self._lock:
                        updated = self._set(item.id, done=event.done, label=event.label)
                    self._notify(updated)
                elif isinstance(event, Finished):
                    result = event.result
                    changes = ({"status": DownloadState.DONE, "done": item.total, "path": result.path, "label": ""}
                               if result.status == "done" else {"status": DownloadState.PAUSED, "label": ""})
                elif isinstance(event, Failed):
                    changes = {"status": DownloadState.FAILED, "message": event.user_message, "label": ""}
        except Exception as exc:  # never let one download take the queue down
            log.exception("download failed")
            changes = {"status": DownloadState.FAILED, "label": "",
                       "message": f"The download stopped unexpectedly: {exc}"}
        with self._lock:
            self._controls.pop(item.id, None)
            cancelled = item.id in self._cancelling
            self._cancelling.discard(item.id)
        if cancelled and changes.get("status") != DownloadState.DONE:
            self.manager.discard(item.remote)
            changes = {"status": DownloadState.CANCELLED, "done": 0, "label": ""}
        with self._lock:
            updated = self._set(item.id, **(changes or {"status": DownloadState.PAUSED}))
        self._notify(updated)
