"""Side-by-side review of a translation: each source block next to its
translation, in inline Markdown so bold, italic, links and code survive an
edit. Code blocks are shown but not editable (they are never translated)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
)

from desktop_llm.core.documents.model import Block, Document
from desktop_llm.core.documents.translate import edited_block
from desktop_llm.core.documents.writers import block_markdown
from desktop_llm.gui.common.theme import tone
from desktop_llm.gui.common.widgets import named

PENDING = "…"
KIND_LABELS = {"paragraph": "Paragraph", "quote": "Quote", "code": "Code", "table_cell": "Table",
               "image_text": "Image text"}


def kind_label(block: Block) -> str:
    if block.kind == "heading":
        return f"Heading {block.level}"
    if block.kind == "list_item":
        return "List" if block.level <= 1 else f"List {block.level}"
    return KIND_LABELS.get(block.kind, block.kind)


class TranslationReview(QTableWidget):
    edited = Signal(int)  # a row's translation was changed by hand

    def __init__(self, parent=None):
        super().__init__(0, 2, parent)
        named(self, "Translation review", "Each block of the document next to its translation: double-click or "
                                          "F2 to edit one; Ctrl+R translates the selected block again")
        self.setHorizontalHeaderLabels(["Original", "Translation"])
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.source: Document | None = None
        self.translated: list[Block | None] = []
        self.dirty = False  # edits or re-translations not yet saved
        self._filling = False
        self.itemChanged.connect(self._on_item_changed)

    def set_source(self, doc: Document) -> None:
        """Show a document's blocks; the translation column waits."""
        self.source = doc
        self.translated = [None] * len(doc.blocks)
        self.dirty = False
        self._filling = True
        self.setRowCount(len(doc.blocks))
        self.setVerticalHeaderLabels([kind_label(b) for b in doc.blocks])
        for row, block in enumerate(doc.blocks):
            original = QTableWidgetItem(block_markdown(block))
            original.setFlags(original.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.setItem(row, 0, original)
            self.setItem(row, 1, self._pending_item())
        self._filling = False
        self.resizeRowsToContents()

    def set_target_name(self, language: str) -> None:
        self.setHorizontalHeaderItem(1, QTableWidgetItem(f"Translation ({language})" if language else "Translation"))

    def clear_translation(self) -> None:
        if self.source is not None:
            self.set_source(self.source)

    def set_translated(self, row: int, block: Block, by_hand: bool = False) -> None:
        """A block's translation arrived (or was redone); `by_hand` marks the review unsaved."""
        self.translated[row] = block
        item = QTableWidgetItem(block_markdown(block))
        if block.kind == "code":
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            item.setToolTip("Code is copied as it is, never translated")
        self._filling = True
        self.setItem(row, 1, item)
        self._filling = False
        self.resizeRowToContents(row)
        if by_hand:
            self.dirty = True

    def flag(self, row: int, problems: list[str]) -> None:
        """Mark a translated block the checks found a problem in, saying what it is."""
        item = self.item(row, 1)
        if item is None:
            return
        self._filling = True
        item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        item.setToolTip("Check this block: " + "; ".join(problems) + ". Edit it (F2) or Re-translate it.")
        item.setForeground(QBrush(QColor(tone("warning"))))
        self._filling = False

    def _pending_item(self) -> QTableWidgetItem:
        item = QTableWidgetItem(PENDING)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        item.setForeground(QBrush(QColor(tone("muted"))))
        return item

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 1:
            return
        row = item.row()
        current = self.translated[row]
        if current is None or item.text() == block_markdown(current):
            return
        self.translated[row] = edited_block(current, item.text())
        self.dirty = True
        self.resizeRowToContents(row)
        self.edited.emit(row)

    def commit_edit(self) -> None:
        """Finish an edit in progress, as leaving the cell would (before Save or closing)."""
        if self.state() != QAbstractItemView.State.EditingState:
            return
        for editor in self.viewport().findChildren(QLineEdit):  # the cell editor is the visible one
            if not editor.isVisible():
                continue
            self.commitData(editor)
            self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def selected_row(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return rows[0].row() if rows else (self.currentRow() if self.currentRow() >= 0 else None)

    @property
    def complete(self) -> bool:
        return bool(self.translated) and all(b is not None for b in self.translated)

    def document(self, translated: Document) -> Document:
        """The translation as it stands (with every edit), able to write itself as `translated` does."""
        return replace(translated, blocks=[b for b in self.translated if b is not None])
