"""The workspace's Rewrite tab: a style, the button, the suggested change
shown as a word diff, Accept and Reject — and the rewrite job behind them.
Accepting changes the selected text only: the draft keeps its name."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from desktop_llm.core.drafting.diff import diff_html
from desktop_llm.core.drafting.rewrite import REWRITE_STYLES
from desktop_llm.core.errors import UserError
from desktop_llm.gui.common.bridge import JobBridge
from desktop_llm.gui.common.widgets import button, named


@dataclass
class Pending:
    start: int
    end: int
    old: str
    new: str = ""
    notes: tuple[str, ...] = ()


class RewritePanel(QWidget):
    def __init__(self, workspace):
        super().__init__()
        self.ws = workspace
        self.pending: Pending | None = None
        self._streamed = ""
        self.style_choice = named(QComboBox(), "Rewrite style", "How to change the selected text")
        for key, text in REWRITE_STYLES.items():
            self.style_choice.addItem(key.capitalize() + " — " + text.split(":")[0].rstrip("."), key)
        self.rewrite_button = button("Rewrite &selection", "Rewrite the selected text (Ctrl+Shift+R)",
                                     self.rewrite_selection)
        self.diff = named(QTextBrowser(), "Suggested change", "Removed words struck through, new words underlined")
        self.accept_button = button("&Accept", "Put the suggestion into the draft", self.accept)
        self.reject_button = button("Re&ject", "Keep the text as it was", self.reject)
        for b in (self.accept_button, self.reject_button):
            b.setEnabled(False)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.reject_button)
        row.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Select text in the draft, choose a style, then Rewrite."))
        layout.addWidget(self.style_choice)
        layout.addWidget(self.rewrite_button)
        layout.addWidget(self.diff, 1)
        layout.addLayout(row)
        self.bridge = JobBridge(self)
        self.bridge.token.connect(self._on_text)
        self.bridge.progress.connect(lambda _done, _total, label: self.ws.status.say(label))
        self.bridge.finished.connect(self._on_rewritten)
        self.bridge.failed.connect(self._on_failed)

    def rewrite_selection(self) -> None:
        ws = self.ws
        cursor = ws.editor.textCursor()
        old = cursor.selectedText().replace("\u2029", "\n")
        if not old.strip():
            ws.status.say("Select the text to rewrite first.", error=True)
            return
        if ws.job is not None:
            return
        style = self.style_choice.currentData()
        try:
            ws.job = ws.core.writer.rewrite(old, style, ws.model_provider(), listener=self.bridge.deliver)
        except UserError as exc:
            ws.status.say(exc.message, error=True)
            return
        self.pending = Pending(cursor.selectionStart(), cursor.selectionEnd(), old)
        self._streamed = ""
        ws.side.setCurrentWidget(self)
        self.diff.setPlainText("Rewriting…")
        self.rewrite_button.setEnabled(False)
        ws.status.say(f"Rewriting the selection ({style})…")

    def accept(self) -> None:
        ws, p = self.ws, self.pending
        if p is None:
            return
        if ws.editor.toPlainText()[p.start:p.end].replace("\u2029", "\n") != p.old:
            ws.status.say("The text changed meanwhile, so the suggestion was not applied. Rewrite again.",
                          error=True)
            return self.reject()
        ws.keep_draft_name()
        cursor = ws.editor.textCursor()
        cursor.setPosition(p.start)
        cursor.setPosition(p.end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(p.new)
        ws.save_now(f"Rewrite accepted ({self.style_choice.currentData()})")
        self._end("The rewrite is in the draft.")

    def reject(self) -> None:
        self._end("Kept the text as it was.")

    def _end(self, message: str) -> None:
        self.pending = None
        self.diff.clear()
        self.accept_button.setEnabled(False)
        self.reject_button.setEnabled(False)
        self.ws.status.say(message)

    def _on_text(self, text: str) -> None:
        self._streamed += text
        self.diff.setPlainText(self._streamed)

    def _on_rewritten(self, result) -> None:
        self.ws.end_job()
        if self.pending is None:
            return
        self.pending.new, self.pending.notes = result.text, tuple(result.notes)
        self.diff.setHtml(diff_html(self.pending.old, result.text))
        self.accept_button.setEnabled(True)
        self.reject_button.setEnabled(True)
        self.ws.status.say(" ".join(["Review the change: Accept puts it in the draft, Reject keeps your text.",
                                     *result.notes]), error=bool(result.notes))

    def _on_failed(self, message: str, _detail: str) -> None:
        self.ws.end_job()
        self.pending = None
        self.diff.clear()
        self.ws.status.say(message, error=True)

    def set_idle(self) -> None:
        self.rewrite_button.setEnabled(True)
