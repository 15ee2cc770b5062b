"""First run, only the starter model installed: say it works offline now and
offer the download that suits this computer best (skippable). It never takes
the keyboard: it is not modal, shows without taking focus, and only a click on
Download downloads (Enter is "Not now")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QVBoxLayout

from desktop_llm.core.models.catalog import CatalogEntry
from desktop_llm.core.models.fit import Fit
from desktop_llm.core.units import format_size
from desktop_llm.gui.common.widgets import button

NOT_NOW, DOWNLOAD, BROWSE = 0, 1, 2


class WelcomeDialog(QDialog):
    def __init__(self, entry: CatalogEntry | None, fit: Fit | None, parent=None):
        super().__init__(parent)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setWindowTitle("Welcome to desktop-llm")
        self.setAccessibleName("Welcome")
        intro = ("<h3>Welcome</h3><p>A small starter model is installed and works offline: you can "
                 "chat right away. Everything you write stays on this computer.</p>")
        if entry is not None and fit is not None:
            offer = (f"<p>For better writing, summaries and translation on this computer we recommend "
                     f"<b>{entry.name}</b> — {entry.good_for}</p>"
                     f"<p>Download: about {format_size(entry.estimated_size())} · {fit.text}.</p>")
        else:
            offer = "<p>The starter model is the best fit for this computer's memory.</p>"
        text = QLabel(intro + offer + "<p>You can change models any time in Models (Ctrl+M).</p>")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setMinimumWidth(460)
        buttons = QHBoxLayout()
        buttons.addWidget(button("&Browse models…", "Open the Models window", lambda: self.done(BROWSE)))
        buttons.addStretch(1)
        self.not_now = button("&Not now", "Keep the starter model; you can download later (Esc)", self.reject)
        self.not_now.setDefault(True)
        buttons.addWidget(self.not_now)
        if entry is not None:
            self.download = button(f"Download {entry.name}", "Start the download; you can chat meanwhile",
                                   lambda: self.done(DOWNLOAD))
            self.download.setAutoDefault(False)
            buttons.addWidget(self.download)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
