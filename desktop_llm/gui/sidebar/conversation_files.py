"""Export and import dialogs: file choosers around core's export and import."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop_llm.core.errors import UserError
from desktop_llm.core.store.export import default_filename, export_conversation
from desktop_llm.core.store.importers import import_file
from desktop_llm.gui.shell import Shell

EXPORT_FILTERS = {
    "md": "Markdown (*.md)",
    "html": "Web page (*.html)",
    "docx": "Word document (*.docx)",
    "txt": "Plain text (*.txt)",
    "json": "desktop-llm JSON — can be imported again (*.json)",
}
IMPORT_FILTER = ("Conversations (*.json *.jsonl);;desktop-llm JSON (*.json);;"
                 "LM Studio (*.conversation.json);;Jan thread (messages.jsonl thread.json)")


class ConversationFiles:
    def __init__(self, window: Shell):
        self.window = window

    @property
    def core(self):
        return self.window.core

    def export_dialog(self, conversation_id: int | None) -> None:
        if conversation_id is None:
            self.window.statusBar().showMessage("Open a conversation to export it.", 4000)
            return
        conversation = self.core.history.get_conversation(conversation_id)
        start = Path.home() / default_filename(conversation, "md")
        path, chosen = QFileDialog.getSaveFileName(
            self.window.window(), "Export conversation", str(start), ";;".join(EXPORT_FILTERS.values()))
        if not path:
            return
        fmt = next((k for k, v in EXPORT_FILTERS.items() if v == chosen), "md")
        suffix = Path(path).suffix.lstrip(".").lower()
        if suffix in EXPORT_FILTERS:  # a typed extension wins over the filter
            fmt = suffix
        else:
            path += f".{fmt}"
        self.export_to(conversation_id, Path(path), fmt)

    def export_to(self, conversation_id: int, path: Path, fmt: str) -> bool:
        try:
            export_conversation(self.core.history, conversation_id, fmt, path)
        except UserError as exc:
            QMessageBox.warning(self.window.window(), "Export failed", exc.message)
            return False
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window.window(), "Import conversation", str(Path.home()),
                                              IMPORT_FILTER)
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> int | None:
        try:
            conversation_id = import_file(self.core.history, path)
        except UserError as exc:
            QMessageBox.warning(self.window.window(), "Import failed", exc.message)
            return None
        self.window.refresh_conversations()
        self.window.open_conversation(conversation_id)
        self.window.statusBar().showMessage(f"Imported {path.name}", 5000)
        return conversation_id
