"""A button whose menu ticks the libraries to draw on: used under Send (a
conversation's libraries) and in the writing workspace (a draft's facts)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from desktop_llm.core.app import AppCore

NONE_TEXT = "No library"


class LibraryPicker(QToolButton):
    changed = Signal(list)  # the names now chosen

    def __init__(self, core: AppCore, tip: str, parent=None):
        super().__init__(parent)
        self.core = core
        self.chosen: list[str] = []
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolTip(tip)
        self.setAccessibleName("Libraries to answer from")
        self.setMenu(QMenu(self))
        self.menu().aboutToShow.connect(self._fill)
        self._show()

    def choose(self, name: str, on: bool) -> None:
        self.chosen = [n for n in self.chosen if n != name] + ([name] if on else [])
        self._show()
        self.changed.emit(list(self.chosen))

    def _fill(self) -> None:
        menu = self.menu()
        menu.clear()
        names = self.core.libraries.names()
        if not names:
            empty = menu.addAction("No library yet: make one in Write → Library…")
            empty.setEnabled(False)
            return
        for name in names:
            action = QAction(name, menu)
            action.setCheckable(True)
            action.setChecked(name in self.chosen)
            action.toggled.connect(lambda on, n=name: self.choose(n, on))
            menu.addAction(action)

    def _show(self) -> None:
        self.setText(("From: " + ", ".join(self.chosen)) if self.chosen else NONE_TEXT)
