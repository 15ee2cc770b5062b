"""Variants side by side, each with its length and a "Use this" button; the
cards wrap onto more rows when the view is too narrow for them all."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QTextBrowser, QVBoxLayout, QWidget

from desktop_llm.core.markdown import to_html
from desktop_llm.gui.common.widgets import button, named

CARD_WIDTH = 220
CARD_HEIGHT = 160


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
        self.setMinimumWidth(CARD_WIDTH)
        self.setMinimumHeight(CARD_HEIGHT)

    def set_text(self, text: str) -> None:
        self.text = text
        self.body.setHtml(to_html(text))
        self.length.setText(f"{len(text)} characters")

    def append(self, text: str) -> None:
        """A streamed piece: shown as plain text until the variant is finished."""
        self.text += text
        self.body.setPlainText(self.text)
        self.length.setText(f"{len(self.text)} characters…")
        bar = self.body.verticalScrollBar()
        bar.setValue(bar.maximum())


class VariantsView(QScrollArea):
    use_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Variants")
        inner = QWidget()
        self.grid = QGridLayout(inner)
        self.setWidget(inner)
        self.cards: list[VariantCard] = []
        self._columns = 0

    def show_texts(self, texts: list[str]) -> None:
        self.set_count(len(texts))
        for card, text in zip(self.cards, texts):
            card.set_text(text)

    def set_count(self, count: int) -> None:
        while len(self.cards) > count:
            card = self.cards.pop()
            self.grid.removeWidget(card)
            card.deleteLater()
        while len(self.cards) < count:
            self.cards.append(VariantCard(len(self.cards), self))
        self._columns = 0
        self._arrange()

    def columns(self) -> int:
        spacing = self.grid.spacing() + 2 * self.grid.contentsMargins().left()
        return max(1, min(len(self.cards) or 1, self.viewport().width() // (CARD_WIDTH + spacing)))

    def _arrange(self) -> None:
        """As many cards to a row as fit the width; the rest wrap below."""
        columns = self.columns()
        if columns == self._columns:
            return
        self._columns = columns
        for i, card in enumerate(self.cards):
            self.grid.addWidget(card, i // columns, i % columns)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange()

    def texts(self) -> list[str]:
        return [c.text for c in self.cards]
