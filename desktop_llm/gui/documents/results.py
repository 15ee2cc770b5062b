"""What a person does with a finished summary or translation: copy, save
(never over the document itself), continue as a chat, choose a glossary —
and the questions that keep unsaved work from being lost."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QMimeData, SignalInstance
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from desktop_llm.core.app import AppCore
from desktop_llm.core.documents.formats import WRITABLE, file_filter
from desktop_llm.core.documents.summarize import Summary, summary_conversation
from desktop_llm.core.documents.translate import Translation, read_glossary
from desktop_llm.core.documents.writers import save_document
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import save_file
from desktop_llm.gui.common.widgets import MessageLine
from desktop_llm.gui.documents.panels import SummaryPanel, TranslatePanel


class DocumentsPage(Protocol):
    """The Documents window as its results see it."""

    core: AppCore
    path: Path | None
    summary: Summary | None
    summary_model: str
    translation: Translation | None
    summary_panel: SummaryPanel
    translate_panel: TranslatePanel
    message: MessageLine
    conversation_created: SignalInstance

    def window(self) -> QWidget: ...  # the parent of the dialogs

    def update_controls(self) -> None: ...


def ask_save(window: DocumentsPage, what: str) -> QMessageBox.StandardButton:
    buttons = QMessageBox.StandardButton
    return QMessageBox.question(window.window(), "Unsaved changes", f"{what} Save it first?",
                                buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)


class SummaryResult:
    def __init__(self, window: DocumentsPage):
        self.window = window
        self.saved = True  # no edit of the summary on screen is unsaved

    def text(self) -> str:
        return self.window.summary_panel.result.toPlainText().strip()

    def on_edited(self) -> None:
        if self.window.summary is not None and not self.window.summary_panel.result.isReadOnly():
            self.saved = False

    def copy(self) -> None:
        if self.window.summary is None:
            return
        mime = QMimeData()
        mime.setText(self.text())
        QApplication.clipboard().setMimeData(mime)
        self.window.message.say("Copied the summary.")

    def save_dialog(self) -> bool:
        window = self.window
        if window.summary is None or window.path is None:
            return False
        suggested = window.path.with_name(f"{window.path.stem}.summary.md")
        path, _ = QFileDialog.getSaveFileName(window.window(), "Save summary", str(suggested),
                                              "Markdown (*.md);;Text files (*.txt)")
        return bool(path) and self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            save_file(path, (self.text() + "\n").encode("utf-8"), source=self.window.path)
        except UserError as exc:
            self.window.message.say(exc.message, error=True)
            return False
        self.saved = True
        self.window.message.say(f"Saved the summary as {path.name}.")
        return True

    def continue_as_chat(self) -> None:
        window = self.window
        if window.summary is None or window.path is None:
            return
        summary = replace(window.summary, text=self.text())
        conversation_id = summary_conversation(window.core.history, summary, window.path.name, window.summary_model)
        window.message.say("The summary is a conversation now: ask about it in the main window.")
        window.conversation_created.emit(conversation_id)

    def may_discard(self) -> bool:
        window = self.window
        if self.saved or window.summary is None or window.path is None:
            return True
        answer = ask_save(window, f"The summary of {window.path.name} is not saved.")
        if answer == QMessageBox.StandardButton.Save:
            return self.save_dialog()
        return answer == QMessageBox.StandardButton.Discard


class TranslationResult:
    def __init__(self, window: DocumentsPage):
        self.window = window
        self.glossary: dict[str, str] = {}

    def choose_glossary(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window.window(), "Choose a glossary", str(Path.home()),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.set_glossary(path)

    def set_glossary(self, path: str | Path | None) -> None:
        panel = self.window.translate_panel
        if path is not None:
            try:
                terms = read_glossary(path)
            except UserError as exc:
                self.window.message.say(exc.message, error=True)
                return
            self.glossary = terms
            panel.glossary_label.setText(f"{Path(path).name}: {len(terms)} term{'s' if len(terms) != 1 else ''}")
        else:
            self.glossary = {}
            panel.glossary_label.setText("No glossary")
        panel.clear_glossary_button.setVisible(path is not None)

    def save(self) -> bool:
        translation = self.window.translation
        return translation is not None and self.save_to(translation.output)

    def save_dialog(self) -> bool:
        translation = self.window.translation
        if translation is None:
            return False
        fmt = translation.output.suffix.lstrip(".").lower()
        filters = [file_filter(k) for k in sorted(WRITABLE, key=lambda k: k != fmt)]
        path, _ = QFileDialog.getSaveFileName(self.window.window(), "Save translation as", str(translation.output),
                                              ";;".join(filters))
        return bool(path) and self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        window = self.window
        translated = window.translation.document if window.translation is not None else None
        if translated is None:
            return False
        review = window.translate_panel.review
        review.commit_edit()  # the cell being typed in counts
        path = Path(path)
        try:
            save_document(review.document(translated), path, source=window.path)
        except UserError as exc:
            window.message.say(exc.message, error=True)
            return False
        review.dirty = False
        window.translate_panel.output_label.setText(f"Saved as {path}")
        window.message.say(f"Saved the translation as {path.name}.")
        window.update_controls()
        return True

    def may_replace(self, output: Path) -> bool:
        """A translation saved earlier may hold the user's review edits: replace it only when asked to."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self.window.window(), "Replace the earlier translation?",
                                      f"{output.name} already exists, perhaps with your edits. Translate again "
                                      "and replace it?", buttons.Yes | buttons.Cancel, buttons.Cancel)
        return answer == buttons.Yes

    def may_discard(self) -> bool:
        window = self.window
        review = window.translate_panel.review
        review.commit_edit()
        if not review.dirty or window.translation is None or window.path is None:
            return True
        answer = ask_save(window, f"Your changes to the translation of {window.path.name} are not saved.")
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard


def checks_note(result: Translation) -> str:
    """What the checks found: structure the output lacks, and blocks to look at."""
    note = ""
    if result.losses:
        note += " The saved file has only " + ", ".join(result.losses) + ": check it before you use it."
    if result.flagged:
        rows = ", ".join(str(i + 1) for i in sorted(result.flagged))
        plural = "s" if len(result.flagged) > 1 else ""
        note += f" Look at block{plural} {rows} (marked with a warning sign): the checks found a problem."
    return note


def misses_note(misses) -> str:
    return (" Glossary terms not followed: " + "; ".join(misses) + ".") if misses else ""
