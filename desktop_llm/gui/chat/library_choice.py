"""The libraries a conversation answers from: a button under Send with a menu
of the libraries to tick. The choice is saved with the conversation (or kept
for the next new one), and a question sent with libraries chosen is answered
from the passages found in them, with sources under the reply. A document
dropped into the conversation becomes a library of its own, ticked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Signal

from desktop_llm.core.app import AppCore
from desktop_llm.core.chat import Grounding
from desktop_llm.gui.common.background import Background
from desktop_llm.gui.common.library_picker import LibraryPicker


class LibraryChoice(LibraryPicker):
    said = Signal(str, bool)  # what happened to a file dropped into the conversation; whether it failed

    def __init__(self, core: AppCore, new_setup: Callable[[], dict], parent=None):
        super().__init__(core, "Answer from your libraries: the reply cites the passages it used", parent)
        self.new_setup = new_setup  # the settings the next new conversation is made with
        self.conversation_id: int | None = None
        self.changed.connect(self._save)
        self.background = Background(self)

    def answer_from_file(self, path: Path) -> None:
        """A file dropped into the conversation: made a library of its own ("File: NAME"), indexed in
        the background, and ticked for this conversation."""
        name = f"File: {path.name}"
        self.said.emit(f"Reading {path.name}…", False)
        self.background.run(lambda: self.core.libraries.add(name, [path]),
                            lambda report: self._attached(name, path, report), lambda message: self.said.emit(
                                f"{path.name} could not be added: {message}", True))

    def _attached(self, name: str, path: Path, report) -> None:
        reasons = [reason for where, reason in report.skipped if Path(where) == path.resolve()]
        if reasons:
            if not self.core.libraries.info(name).files:  # nothing in it: not kept as an empty library
                self.core.libraries.remove(name)
            self.said.emit(f"{path.name} could not be read: {reasons[0]}", True)
            return
        if name not in self.chosen:
            self.choose(name, True)
        self.said.emit(f"This conversation now answers from {path.name} ({self.core.libraries.info(name).chunks} "
                       "passages); untick it under Send to stop.", False)

    def show_for(self, conversation_id: int | None) -> None:
        """The choice of this conversation (or of the next new one)."""
        self.conversation_id = conversation_id
        if conversation_id is None:
            self.chosen = json.loads(self.new_setup().get("libraries") or "[]")
        else:
            self.chosen = self.core.history.get_conversation(conversation_id).library_names
        self._show()

    def sources_for(self, question: str) -> Callable[[], Grounding] | None:
        """The passages a question is answered from (or the file whose summary it asks for), found when
        the turn runs; None without libraries."""
        names = list(self.chosen)
        if not names:
            return None
        return lambda: self.core.libraries.grounding(names, question)

    def _save(self, chosen: list[str]) -> None:
        value = json.dumps(chosen)
        if self.conversation_id is None:
            self.new_setup()["libraries"] = value
        else:
            self.core.history.update_conversation(self.conversation_id, libraries=value)
