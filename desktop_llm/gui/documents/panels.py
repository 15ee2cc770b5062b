"""The two panels of the Documents page: Summarize (style, length, language,
the streaming result and what to do with it) and Translate (languages,
glossary, the side-by-side review and saving)."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop_llm.core.documents.language import LANGUAGES
from desktop_llm.core.documents.summary_steps import LENGTHS, STYLES
from desktop_llm.gui.common.widgets import button, named
from desktop_llm.gui.documents.review import TranslationReview

STYLE_NAMES = {"bullets": "Bullet points", "paragraph": "Paragraph", "tldr": "TL;DR",
               "keypoints": "Key points and action items"}


def default_target() -> str:
    """The user's own language, unless that is English (then Spanish)."""
    code = QLocale.system().name()[:2]
    return code if code in LANGUAGES and code != "en" else "es"


class SummaryPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary_style = named(QComboBox(), "Summary style", "How the summary is written")
        for key in STYLES:
            self.summary_style.addItem(STYLE_NAMES[key], key)
        self.length = named(QComboBox(), "Summary length", "How long the summary is")
        for key in LENGTHS:
            self.length.addItem(key.capitalize(), key)
        self.length.setCurrentIndex(list(LENGTHS).index("medium"))
        self.language = named(QComboBox(), "Summary language", "The language the summary is written in")
        self.language.addItem("The document's language", "")
        for name in sorted(LANGUAGES.values()):
            self.language.addItem(name, name)
        self.run_button = button("&Summarize", "Summarize the whole document (Ctrl+Enter)")
        self.result = named(QPlainTextEdit(), "Summary", "The summary; you can edit it before you save or copy it")
        self.result.setPlaceholderText("The summary appears here as it is written.")
        self.copy_button = button("&Copy", "Copy the summary (Ctrl+Shift+C)")
        self.save_button = button("Save &as…", "Save the summary as a text or Markdown file")
        self.chat_button = button("Continue as c&hat", "Open the summary as a conversation to ask about it")
        self.set_has_result(False)
        options = QHBoxLayout()
        for label, combo in (("Style", self.summary_style), ("Length", self.length), ("Language", self.language)):
            options.addWidget(QLabel(label))
            options.addWidget(combo)
        options.addStretch(1)
        options.addWidget(self.run_button)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for b in (self.copy_button, self.save_button, self.chat_button):
            actions.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(options)
        layout.addWidget(self.result, 1)
        layout.addLayout(actions)

    def set_has_result(self, has: bool) -> None:
        for b in (self.copy_button, self.save_button, self.chat_button):
            b.setEnabled(has)


class TranslatePanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        names = sorted(LANGUAGES.items(), key=lambda kv: kv[1])
        self.source = named(QComboBox(), "Translate from", "The document's language; detected when left so")
        self.source.addItem("Detect automatically", "")
        self.target = named(QComboBox(), "Translate to", "The language to translate into")
        for code, name in names:
            self.source.addItem(name, code)
            self.target.addItem(name, code)
        self.target.setCurrentIndex(self.target.findData(default_target()))
        self.glossary_label = QLabel("No glossary")
        self.glossary_button = button("&Glossary…", "A CSV file of term,translation pairs the translation must use")
        self.clear_glossary_button = button("Remove", "Translate without the glossary")
        self.clear_glossary_button.setVisible(False)  # shown while a glossary is chosen
        self.run_button = button("&Translate", "Translate the whole document (Ctrl+Enter)")
        self.review = TranslationReview()
        self.retranslate_button = button("&Re-translate block", "Translate the selected block again (Ctrl+R)")
        self.save_button = button("Sa&ve", "Save the reviewed translation over the translated file (Ctrl+S)")
        self.save_as_button = button("Save translation &as…", "Save the reviewed translation under another name "
                                                              "or format (Ctrl+Shift+S)")
        self.output_label = QLabel("")
        self.output_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for b in (self.retranslate_button, self.save_button, self.save_as_button):
            b.setEnabled(False)
        options = QHBoxLayout()
        form = QFormLayout()
        form.addRow("From", self.source)
        form.addRow("To", self.target)
        glossary = QHBoxLayout()
        glossary.addWidget(self.glossary_button)
        glossary.addWidget(self.clear_glossary_button)
        glossary.addWidget(self.glossary_label, 1)
        options.addLayout(form)
        options.addSpacing(16)
        options.addLayout(glossary, 1)
        options.addWidget(self.run_button)
        actions = QHBoxLayout()
        actions.addWidget(self.output_label, 1)
        for b in (self.retranslate_button, self.save_button, self.save_as_button):
            actions.addWidget(b)
        hint = QLabel("Double-click a translation (or press F2) to edit it. Bold, italic, links and code show "
                      "as Markdown marks: **bold**, *italic*, [text](address), `code`.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text)")
        layout = QVBoxLayout(self)
        layout.addLayout(options)
        layout.addWidget(hint)
        layout.addWidget(self.review, 1)
        layout.addLayout(actions)
