"""Small widget helpers shared by the windows and dialogs."""

from __future__ import annotations

import html
import re
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QPushButton, QTreeWidget, QWidget

from desktop_llm.gui.common.theme import tone

URL_RE = re.compile(r"https?://[^\s,;]+[^\s,;.)]")


W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, tip: str) -> W:
    """Give a control its accessible name and tooltip (screen readers, hover)."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip)
    return widget


def button(text: str, tip: str, slot=None) -> QPushButton:
    b = named(QPushButton(text), text.replace("&", "").rstrip("…"), tip)
    if slot is not None:
        b.clicked.connect(slot)
    return b


def menu_action(window: QWidget, menu, text: str, shortcut: str, slot):
    """An entry of `menu` with its shortcut, owned by `window`."""
    a = QAction(text, window)
    a.setShortcut(QKeySequence(shortcut))
    a.triggered.connect(slot)
    menu.addAction(a)
    return a


def save_cancel_buttons(dialog, on_save=None):
    """Save and Cancel, named for screen readers; Save runs `on_save` (default: accept)."""
    from PySide6.QtWidgets import QDialogButtonBox

    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    for b in buttons.buttons():
        named(b, b.text().replace("&", ""), b.text().replace("&", ""))
    buttons.accepted.connect(on_save or dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def linkify(text: str) -> str:
    """Plain text as HTML with its web addresses clickable."""
    out, last = [], 0
    for m in URL_RE.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append(f'<a href="{html.escape(m.group())}">{html.escape(m.group())}</a>')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class MessageLine(QLabel):
    """Where a view says what happened: a failure with what to do, or a note."""

    def __init__(self, name: str = "Message", parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setAccessibleName(name)
        self.setVisible(False)
        self.plain = ""
        self.error = False

    def say(self, text: str, error: bool = False) -> None:
        self.plain, self.error = text, error
        self.setVisible(bool(text))
        body = linkify(text)
        self.setText(f'<span style="color:{tone("error")}">{body}</span>' if error else body)

    def restyle(self) -> None:
        """The theme changed: an error's red is the new theme's."""
        if self.plain:
            self.say(self.plain, self.error)

    def clear_message(self) -> None:
        self.say("")


def tree(name: str, tip: str, columns: list[str]) -> QTreeWidget:
    view = named(QTreeWidget(), name, tip)
    view.setColumnCount(len(columns))
    view.setHeaderLabels(columns)
    view.setRootIsDecorated(False)
    view.setUniformRowHeights(True)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(False)
    return view
