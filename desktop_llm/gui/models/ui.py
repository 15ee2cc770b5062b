"""The main window's side of models: the Models window, the downloads
indicator in the status bar, choosing the model, the first-run welcome."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from desktop_llm.core.errors import UserError
from desktop_llm.core.models import hardware
from desktop_llm.core.models.download_queue import DownloadItem, DownloadState
from desktop_llm.gui.common.widgets import button
from desktop_llm.gui.models.catalog import DownloadRequest
from desktop_llm.gui.models.welcome_dialog import BROWSE as WELCOME_BROWSE
from desktop_llm.gui.models.welcome_dialog import DOWNLOAD as WELCOME_DOWNLOAD
from desktop_llm.gui.models.welcome_dialog import WelcomeDialog
from desktop_llm.gui.models.window import CATALOG, DOWNLOADS, INSTALLED, DownloadsBridge, ModelsWindow


class ModelsUi(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.core = window.core
        self.models_window: ModelsWindow | None = None
        self.welcome: WelcomeDialog | None = None
        self.download_button = button("", "Downloads: open the list (Ctrl+J)", lambda: self.open(DOWNLOADS))
        self.download_button.setAccessibleName("Downloads in progress")
        self.download_button.setFlat(True)
        self.download_button.setVisible(False)
        window.statusBar().addPermanentWidget(self.download_button)
        self.bridge = DownloadsBridge(self)
        self.bridge.changed.connect(self._on_download, Qt.ConnectionType.QueuedConnection)
        self.core.downloads.add_listener(self.bridge.deliver)

    def close(self) -> None:
        self.core.downloads.remove_listener(self.bridge.deliver)
        if self.models_window is not None:
            self.models_window.close()

    def open(self, view: int = CATALOG) -> ModelsWindow:
        if self.models_window is None:
            self.models_window = ModelsWindow(self.core, self.bridge, self.window)
            self.models_window.use_requested.connect(self.use_model)
            self.models_window.models_changed.connect(self._on_models_changed)
        else:
            self.models_window.refresh()
        self.models_window.show_view(view)
        return self.models_window

    def import_dialog(self) -> None:
        self.open(INSTALLED).installed.import_dialog()

    def use_model(self, name: str) -> None:
        """Make a model the default and load it."""
        try:
            self.core.use_model(name)
        except UserError as exc:
            self.window.statusBar().showMessage(exc.message, 6000)
            return
        self.window.start_loading()

    def _on_models_changed(self) -> None:
        model = self.window.model
        if model is not None and not model.exists():  # the loaded model was removed
            self.window.start_loading()

    def _on_download(self, item: DownloadItem) -> None:
        active = [i for i in self.core.downloads.items() if i.status in (DownloadState.QUEUED, DownloadState.RUNNING)]
        running = next((i for i in active if i.status == DownloadState.RUNNING), None)
        if running is not None:
            percent = 100 * running.done // max(1, running.total)
            more = f" (+{len(active) - 1})" if len(active) > 1 else ""
            self.download_button.setText(f"⬇ {running.remote.name} {percent}%{more}")
        self.download_button.setVisible(running is not None)
        status = self.window.statusBar()
        if item.status == DownloadState.DONE:
            status.showMessage(f"Downloaded {item.remote.name}. Models → Installed (Ctrl+Shift+M) "
                               "or Downloads (Ctrl+J) to use it.", 10_000)
        elif item.status == DownloadState.FAILED:
            status.showMessage(f"The download of {item.remote.name} failed: see Downloads (Ctrl+J).", 10_000)

    def maybe_welcome(self) -> None:
        """On first run, with only the starter model, offer the recommended download."""
        settings = self.core.settings
        if settings.welcome_shown or any(not m.bundled for m in self.core.registry.installed()):
            return
        settings.welcome_shown = True
        try:
            self.core.save_settings()
        except UserError:
            pass  # shown again next time; nothing lost
        entry, verdict = self.core.models.recommendation(hardware.detect())
        self.welcome = WelcomeDialog(entry, verdict, self.window)
        self.welcome.finished.connect(lambda choice: self._welcomed(choice, entry, verdict))
        self.welcome.show()  # beside the window, which keeps the keyboard: the user may type at once

    def _welcomed(self, choice: int, entry, verdict) -> None:
        if choice == WELCOME_DOWNLOAD:
            models = self.open(CATALOG)
            models.catalog.select(entry.id)
            models.start_download(DownloadRequest(entry.id, None, None, entry.name, verdict))
        elif choice == WELCOME_BROWSE:
            self.open(CATALOG)
