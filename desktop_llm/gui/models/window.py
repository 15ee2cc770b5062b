"""The Models window: Catalog, Search, Installed and Downloads.

Everything it does is a core call (ModelManager, DownloadQueue); slow ones
run in the background so the window never freezes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QMessageBox, QTabWidget, QVBoxLayout

from desktop_llm.core.app import AppCore
from desktop_llm.core.models import hardware
from desktop_llm.core.models.download_queue import DownloadItem
from desktop_llm.gui.common.background import Background
from desktop_llm.gui.models.catalog import CatalogView, DownloadRequest
from desktop_llm.gui.models.downloads import DownloadsView
from desktop_llm.gui.models.installed import InstalledView, gguf_paths
from desktop_llm.gui.models.search import SearchView

CATALOG, SEARCH, INSTALLED, DOWNLOADS = range(4)


class DownloadsBridge(QObject):
    """Carries the download queue's reports (from its worker thread) to the GUI thread."""

    changed = Signal(object)  # DownloadItem

    def deliver(self, item: DownloadItem) -> None:
        try:
            self.changed.emit(item)
        except RuntimeError:  # the window is gone
            pass


class ModelsWindow(QDialog):
    use_requested = Signal(str)  # a model name or path: make it the default and load it
    models_changed = Signal()

    def __init__(self, core: AppCore, bridge: DownloadsBridge, parent=None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle("Models")
        self.setAccessibleName("Models")
        self.resize(900, 620)
        self.setAcceptDrops(True)
        self.background = Background(self)
        manager = core.models
        self.catalog = CatalogView()
        self.search = SearchView(manager, self.background)
        self.installed = InstalledView(manager, self.background, core.host)
        self.downloads = DownloadsView(core.downloads)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Model views")
        for view, title in ((self.catalog, "&Catalog"), (self.search, "&Search"),
                            (self.installed, "&Installed"), (self.downloads, "&Downloads")):
            self.tabs.addTab(view, title)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        for number in range(4):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number + 1}"), self)
            shortcut.activated.connect(lambda n=number: self.tabs.setCurrentIndex(n))
        self.catalog.download_requested.connect(self.start_download)
        self.search.download_requested.connect(self.start_download)
        self.installed.use_requested.connect(self.use_requested)
        self.installed.changed.connect(self.models_changed)
        self.downloads.use_requested.connect(self.use_requested)
        bridge.changed.connect(self._on_download, Qt.ConnectionType.QueuedConnection)
        self.refresh()

    def refresh(self) -> None:
        """Read this computer and the models again (settings may have changed)."""
        settings, manager = self.core.settings, self.core.models
        self.search.set_offline(settings.offline)
        n_ctx = settings.n_ctx

        def survey():
            hw = hardware.detect()
            return hw, manager.catalog(n_ctx, hw), manager.recommend(hw)

        def show(result) -> None:
            hw, rows, recommended = result
            self.catalog.set_rows(rows, recommended, hw, n_ctx, settings.engine_options().kv_bytes_per_value)
            self.search.hardware, self.search.n_ctx = hw, n_ctx

        self.background.run(survey, show, lambda m: self.catalog.message.say(m, error=True))
        self.installed.refresh()

    def show_view(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        self.show()
        self.raise_()
        self.activateWindow()

    # -- downloads --------------------------------------------------------------------------
    def start_download(self, request: DownloadRequest) -> None:
        """Ask the Hub for the file's size and checksum, then queue it."""
        view = self.tabs.currentWidget()
        message = getattr(view, "message", self.catalog.message)
        if request.fit is not None and not request.fit.usable:
            answer = QMessageBox.question(
                self, "Too large for this computer",
                f"{request.title}: {request.fit.text}. It would not load, or would make the computer "
                "very slow. Download it anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        message.say(f"Asking the Hub about {request.title}…")
        manager = self.core.models

        def queued(remote) -> None:
            message.clear_message()
            self.core.downloads.add(remote)
            self.tabs.setCurrentIndex(DOWNLOADS)

        self.background.run(lambda: manager.remote(request.key, file=request.file, quant=request.quant),
                            queued, lambda m: message.say(m, error=True))

    def _on_download(self, item: DownloadItem) -> None:
        self.downloads.update_item(item)
        if item.status == "done":
            self.refresh()  # the new model is installed; the catalog marks it
            self.models_changed.emit()

    # -- drop a .gguf anywhere --------------------------------------------------------------
    def import_files(self, paths: list[str]) -> None:
        self.show_view(INSTALLED)
        for path in paths:
            self.installed.import_file(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if gguf_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.import_files(gguf_paths(event))
        event.acceptProposedAction()
