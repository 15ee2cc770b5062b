"""What the user does to a conversation from the sidebar or the menus:
rename, pin, delete with a short-lived Undo, and its own settings."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from desktop_llm.core.errors import UserError
from desktop_llm.gui.common.widgets import button
from desktop_llm.gui.settings_dialog import ConversationSettingsDialog
from desktop_llm.gui.shell import Shell

UNDO_MS = 15_000  # how long the Undo button stays after a delete


class ConversationActions(QObject):
    def __init__(self, window: Shell):
        super().__init__(window.window())
        self.window = window
        self.history = window.core.history
        self.trashed: int | None = None  # the conversation Undo brings back
        self.new_setup: dict = {}  # settings for the next new conversation
        self.undo_button = button("Undo delete", "Bring back the conversation you deleted (Ctrl+Z)", self.undo_delete)
        self.undo_button.setVisible(False)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self._forget_undo)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """While a delete can be undone, Ctrl+Z undoes it wherever the focus is in the window (the
        message box's own undo would take the key otherwise), as the status bar promises."""
        if (self.trashed is not None and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Undo) and isinstance(watched, QWidget)
                and watched.window() is self.window.window()):
            self.undo_delete()
            return True
        return False

    def _say(self, text: str, ms: int = 4000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def rename(self, conversation_id: int, title: str) -> None:
        try:
            self.history.rename_conversation(conversation_id, title)
        except UserError as exc:
            self._say(exc.message, 5000)
        self.window.refresh_conversations()

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self.history.update_conversation(conversation_id, pinned=pinned)
        self.window.refresh_conversations()

    def toggle_pin(self) -> None:
        conversation_id = self.window.conversation_id
        if conversation_id is not None:
            self.set_pinned(conversation_id, not self.history.get_conversation(conversation_id).pinned)

    def delete(self, conversation_id: int) -> None:
        if self.window.busy_in(conversation_id):
            return
        self.history.trash_conversation(conversation_id)
        self.trashed = conversation_id
        if conversation_id == self.window.conversation_id:
            self.window.new_chat()
        self.window.refresh_conversations()
        title = self.history.get_conversation(conversation_id).title or "Untitled"
        self._say(f"Deleted “{title}”. Ctrl+Z brings it back.", UNDO_MS)
        self.undo_button.setVisible(True)
        self._undo_timer.start(UNDO_MS)

    def undo_delete(self) -> None:
        if self.trashed is None:
            return
        conversation_id = self.trashed
        self.history.restore_conversation(conversation_id)
        self._forget_undo()
        self.window.statusBar().clearMessage()
        self.window.refresh_conversations()
        self.window.open_conversation(conversation_id)

    def _forget_undo(self) -> None:
        self.trashed = None
        self.undo_button.setVisible(False)

    def reopen_last(self) -> None:
        """At start: the conversation that was on screen last time, if it is still there."""
        conversation_id = self.window.core.last_conversation
        if conversation_id is not None:
            self.window.open_conversation(conversation_id)

    def edit_settings(self, conversation_id: int | None) -> None:
        conversation = self.history.get_conversation(conversation_id) if conversation_id is not None else None
        dialog = ConversationSettingsDialog(self.window.core.settings, conversation,
                                            self.new_setup if conversation is None else None, self.window.window())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply_settings(conversation_id, dialog.values())

    def apply_settings(self, conversation_id: int | None, values: dict) -> None:
        if conversation_id is None:
            self.new_setup = values
            self._say("Settings saved for the new conversation.")
        else:
            self.history.update_conversation(conversation_id, **values)
            self._say("Settings saved for this conversation.")
            self.window.header.show_for(conversation_id)
