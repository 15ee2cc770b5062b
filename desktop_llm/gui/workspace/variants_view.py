"""Variants side by side, each with its length and a "Use this" button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QTextBrowser, QVBoxLayout, QWidget

from desktop_llm.core.markdown import to_html
from desktop_llm.gui.common.widgets import button, named


class VariantCard(QFrame):
    def __init__(self, index: int, view: "VariantsView"):
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = ""
        self.title = QLabel(f"<b>Variant {index + 1}</b>")
        self.body = named(QTextBrowser(), f"Variant {index + 1}", "The text the model wrote")
        self.length = QLabel("")
        self.use_button = button("Use this", f"Put variant {index + 1} into the draft",
                                 lambda: view.use_requested.emit(index))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.length)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.use_button)
        self.setMinimumWidth(220)

    def set_text(self, text: str) -> None:
        self.text = text
        self.body.setHtml(to_html(text))
        self.length.setText(f"{len(text)} characters")


class VariantsView(QScrollArea):
    use_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Variants")
        inner = QWidget()
        self.row = QHBoxLayout(inner)
        self.setWidget(inner)
        self.cards: list[VariantCard] = []

    def show_texts(self, texts: list[str]) -> None:
        while len(self.cards) > len(texts):
            card = self.cards.pop()
            self.row.removeWidget(card)
            card.deleteLater()
        while len(self.cards) < len(texts):
            card = VariantCard(len(self.cards), self)
            self.cards.append(card)
            self.row.addWidget(card)
        for card, text in zip(self.cards, texts):
            card.set_text(text)

    def texts(self) -> list[str]:
        return [c.text for c in self.cards]
