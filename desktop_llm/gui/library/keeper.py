"""Keeps the libraries up to date while the window is open: core's watcher looks
for changed files on its own thread; what it brings up to date is said in the
status bar, and the Library page, when open, shows the new counts."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.library.indexer import IndexReport
from desktop_llm.core.library.watch import LibraryWatcher


class LibraryKeeper(QObject):
    said = Signal(str, bool)  # from the watcher's thread: what happened, and whether it failed

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.watcher: LibraryWatcher | None = None
        self.said.connect(self._show)
        interval = window.core.settings.library_watch_s
        if interval > 0:
            self.watcher = LibraryWatcher(window.core.libraries, interval, self._indexed, self._failed)
            self.watcher.start()

    def _indexed(self, name: str, report: IndexReport) -> None:
        if report.read or report.dropped:
            self.said.emit(f"Library {name} is up to date with its files: {report.read} read, "
                           f"{report.dropped} removed.", False)

    def _failed(self, name: str, message: str) -> None:
        self.said.emit(f"Library {name} could not be brought up to date: {message}", True)

    def _show(self, text: str, failed: bool) -> None:
        self.window.statusBar().showMessage(text, 15000 if failed else 8000)
        page = self.window.tools.library
        if page is not None and page.cancel is None:
            page.refresh()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
