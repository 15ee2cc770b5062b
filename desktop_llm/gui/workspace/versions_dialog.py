"""A draft's versions, newest first, with a preview; Restore brings one back
(the current text is kept as a version too)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QPlainTextEdit, QVBoxLayout

from desktop_llm.core.store.drafts import DraftVersion
from desktop_llm.gui.common.widgets import button, named


class VersionsDialog(QDialog):
    def __init__(self, versions: list[DraftVersion], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Version history")
        self.setAccessibleName("Version history")
        self.versions = versions
        self.chosen: DraftVersion | None = None
        self.list = named(QListWidget(), "Versions", "Saved versions of this draft, newest first")
        for v in versions:
            self.list.addItem(f"{v.created_at[:16].replace('T', ' ')}  ·  {v.note}")
        self.preview = named(QPlainTextEdit(), "Version text", "The draft as it was then")
        self.preview.setReadOnly(True)
        self.list.currentRowChanged.connect(
            lambda row: self.preview.setPlainText(versions[row].body if 0 <= row < len(versions) else ""))
        self.restore_button = button("&Restore", "Bring this version back into the draft", self._restore)
        self.restore_button.setEnabled(bool(versions))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button("Close", "Keep the draft as it is", self.reject))
        row.addWidget(self.restore_button)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addWidget(self.preview, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(row)
        if versions:
            self.list.setCurrentRow(0)
        self.resize(760, 480)

    def _restore(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.versions):
            self.chosen = self.versions[row]
            self.accept()
