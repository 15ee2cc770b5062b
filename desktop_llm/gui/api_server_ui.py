"""The window's side of the API server: start or stop it as Settings say,
and show in the status bar that it is on — and when it is generating."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from desktop_llm.core.errors import UserError
from desktop_llm.core.host import JobKind
from desktop_llm.core.server.runner import DEFAULT_HOST, ApiServer, configured_api_key

POLL_MS = 300


class ApiServerUi(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.core = window.core
        self.server: ApiServer | None = None
        self.label = QLabel("")
        self.label.setAccessibleName("API server")
        self.label.setVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._show_activity)

    def sync(self) -> None:
        """Make the server match the settings (on, port, key)."""
        settings = self.core.settings
        key = configured_api_key()
        wanted = (settings.api_port, key) if settings.api_server else None
        running = (self.server.port, self.server.api_key) if self.server else None
        if wanted == running:
            return
        self.stop()
        if wanted is None:
            return
        try:
            server = ApiServer(self.core, DEFAULT_HOST, settings.api_port, key)
            server.start()
        except UserError as exc:
            self.window.chat_view.add("notice", f"The API server is off: {exc.message}")
            return
        self.server = server
        self.label.setToolTip(f"OpenAI-compatible API at {server.url}"
                              + (" (API key required)" if key else " (this computer only)"))
        self.label.setVisible(True)
        self.timer.start()
        self._show_activity()

    def _show_activity(self) -> None:
        if self.server is not None:
            host = self.core.host
            busy = host.current_kind == JobKind.API
            waits = not busy and JobKind.API in host.queued_kinds()
            self.label.setText(f"API :{self.server.port}" + (" — generating…" if busy else
                                                              " — a request waits" if waits else ""))

    def stop(self) -> None:
        self.timer.stop()
        self.label.setVisible(False)
        if self.server is not None:
            self.server.stop()
            self.server = None
