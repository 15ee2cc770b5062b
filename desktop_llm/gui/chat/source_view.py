"""One source of a grounded reply, shown where it stands in its file: the
passage highlighted between the text around it, with Open file to see the
whole document in its own application."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPalette
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout

from desktop_llm.core.library.passages import InContext, in_context
from desktop_llm.gui.common.background import Background


def source_title(source: dict) -> str:
    return Path(source.get("file", "")).name + (f", page {source['page']}" if source.get("page") else "") + (
        f" — {source['heading']}" if source.get("heading") else "")


class SourceDialog(QDialog):
    def __init__(self, source: dict, parent=None):
        super().__init__(parent)
        self.source = source
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Source [{source.get('n')}]: {source_title(source)}")
        self.resize(720, 520)
        layout = QVBoxLayout(self)
        self.note = QLabel(f"Reading {Path(source.get('file', '')).name}…")
        self.note.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setAccessibleName("The passage in its document")
        self.text.setPlainText(source.get("text", ""))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = buttons.addButton("&Open file", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_file)
        copy = buttons.addButton("&Copy passage", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(source.get("text", "")))
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.background = Background(self)
        self.background.run(lambda: in_context(source.get("file", ""), source.get("text", "")), self._show,
                            self._failed)

    def _show(self, found: InContext) -> None:
        palette = self.palette()
        mark = (f"background-color: {palette.color(QPalette.ColorRole.Highlight).name()}; "
                f"color: {palette.color(QPalette.ColorRole.HighlightedText).name()};")
        self.text.setHtml(
            f"<div style='white-space: pre-wrap'>{html.escape(found.before)}<a name='passage'></a>"
            f"<span style='{mark}'>{html.escape(found.passage)}</span>{html.escape(found.after)}</div>")
        self.text.scrollToAnchor("passage")
        self.note.setText("The passage, highlighted, where it stands in the document." if found.found else
                          "The file has changed since it was indexed: the passage is shown as it was then. "
                          "Index its library again to bring it up to date.")

    def _failed(self, message: str) -> None:
        self.note.setText(f"{message} The passage as it was indexed:")
        self.open_button.setEnabled(False)

    def open_file(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.source.get("file", "")))
