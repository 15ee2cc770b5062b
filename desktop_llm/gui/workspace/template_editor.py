"""Create or change a writing template: its TOML, checked before it is saved
among the user's templates (a built-in one is never overwritten)."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QVBoxLayout

from desktop_llm.core.drafting.templates import Template, save_user_template, template_source
from desktop_llm.core.errors import UserError
from desktop_llm.gui.common.widgets import MessageLine, named, save_cancel_buttons


class TemplateEditor(QDialog):
    def __init__(self, start: Template, user_dir, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Template: {start.title}")
        self.setAccessibleName("Template editor")
        self.user_dir = user_dir
        self.saved: Template | None = None
        note = QLabel("Fields are [[fields]] tables; the prompt names them in {braces}. A line whose fields are "
                      "all empty is left out. Saving with the id of a built-in template replaces it for you only.")
        note.setWordWrap(True)
        self.text = named(QPlainTextEdit(), "Template source", "The template in TOML")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(template_source(start))
        self.message = MessageLine("Template problem")
        buttons = save_cancel_buttons(self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(640, 560)

    def save(self) -> None:
        try:
            self.saved = save_user_template(self.user_dir, self.text.toPlainText())
        except (UserError, OSError) as exc:
            self.message.say(getattr(exc, "message", str(exc)), error=True)  # the text stays as typed
            return
        self.accept()
