"""The libraries a conversation answers from: a button under Send with a menu
of the libraries to tick. The choice is saved with the conversation (or kept
for the next new one), and a question sent with libraries chosen is answered
from the passages found in them, with sources under the reply."""

from __future__ import annotations

import json
from typing import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from desktop_llm.core.app import AppCore
from desktop_llm.core.library.grounding import Source

NONE_TEXT = "No library"


class LibraryChoice(QToolButton):
    def __init__(self, core: AppCore, new_setup: Callable[[], dict], parent=None):
        super().__init__(parent)
        self.core = core
        self.new_setup = new_setup  # the settings the next new conversation is made with
        self.conversation_id: int | None = None
        self.chosen: list[str] = []
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolTip("Answer from your libraries: the reply cites the passages it used")
        self.setAccessibleName("Libraries to answer from")
        self.setMenu(QMenu(self))
        self.menu().aboutToShow.connect(self._fill)
        self._show()

    def show_for(self, conversation_id: int | None) -> None:
        """The choice of this conversation (or of the next new one)."""
        self.conversation_id = conversation_id
        if conversation_id is None:
            self.chosen = json.loads(self.new_setup().get("libraries") or "[]")
        else:
            self.chosen = self.core.history.get_conversation(conversation_id).library_names
        self._show()

    def sources_for(self, question: str) -> Callable[[], list[Source]] | None:
        """The passages a question is answered from, found when the turn runs; None without libraries."""
        names = list(self.chosen)
        if not names:
            return None
        return lambda: self.core.libraries.sources(names, question)

    def choose(self, name: str, on: bool) -> None:
        self.chosen = [n for n in self.chosen if n != name] + ([name] if on else [])
        value = json.dumps(self.chosen)
        if self.conversation_id is None:
            self.new_setup()["libraries"] = value
        else:
            self.core.history.update_conversation(self.conversation_id, libraries=value)
        self._show()

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
