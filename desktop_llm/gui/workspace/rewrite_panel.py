"""The workspace's Rewrite tab: a style, the button, the suggested change
shown as a word diff, Accept and Reject. The window runs the rewrite."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from desktop_llm.core.drafting.writer import REWRITE_STYLES
from desktop_llm.gui.common.widgets import button, named


class RewritePanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.style_choice = named(QComboBox(), "Rewrite style", "How to change the selected text")
        for key, text in REWRITE_STYLES.items():
            self.style_choice.addItem(key.capitalize() + " — " + text.split(":")[0].rstrip("."), key)
        self.rewrite_button = button("Rewrite &selection", "Rewrite the selected text (Ctrl+Shift+R)")
        self.diff = named(QTextBrowser(), "Suggested change", "Removed words struck through, new words underlined")
        self.accept_button = button("&Accept", "Put the suggestion into the draft")
        self.reject_button = button("Re&ject", "Keep the text as it was")
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
