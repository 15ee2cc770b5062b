"""What a person does with one message: copy, details, step between its
versions, edit it, regenerate or continue a reply. Bubbles and the Chat
menu name a MessageAction; this decides what happens."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_llm.gui.chat.bubble import MessageAction, details_text
from desktop_llm.gui.shell import Shell

BUSY = "Wait for the reply to finish, or press Esc to stop it."


class MessageActions:
    def __init__(self, window: Shell):
        self.window = window
        self.history = window.core.history
        self.editing_id: int | None = None  # the user's message being edited

    def on_last(self, action: MessageAction) -> None:
        """The action on the last reply (or, to edit, the last message of the user)."""
        conversation_id = self.window.conversation_id
        if conversation_id is None:
            return
        role = "user" if action == MessageAction.EDIT else "assistant"
        last = next((m for m in reversed(self.history.messages(conversation_id)) if m.role == role), None)
        if last is not None:
            if action == MessageAction.COPY:
                QApplication.clipboard().setText(last.content)
            self.run(action, last.id)

    def run(self, name: str, message_id: int) -> None:
        action = MessageAction(name)
        window = self.window
        if action in (MessageAction.COPY, MessageAction.COPIED_CODE):
            window.statusBar().showMessage("Copied to the clipboard.", 3000)
            return
        message = self.history.get_message(message_id)
        if action == MessageAction.DETAILS:
            QMessageBox.information(window.window(), "Message details", details_text(message))
            return
        if window.busy_in(message.conversation_id) or (
                window.session.busy and action in (MessageAction.REGENERATE, MessageAction.CONTINUE)):
            window.statusBar().showMessage(BUSY, 4000)
            return
        if action in (MessageAction.PREVIOUS, MessageAction.NEXT):
            ids = self.history.alternatives(message.conversation_id)[message_id]
            index = ids.index(message_id) + (-1 if action == MessageAction.PREVIOUS else 1)
            if 0 <= index < len(ids):
                self.history.switch_branch(ids[index])
                window.open_conversation(message.conversation_id, focus_id=ids[index])
        elif action == MessageAction.EDIT:
            self._mark_edited(None)
            self.editing_id = message_id
            self._mark_edited(message_id)
            window.input.setPlainText(message.content)
            window.edit_banner.setVisible(True)
            window.input.setFocus()
        elif action == MessageAction.REGENERATE:
            window.start_turn(lambda: window.session.regenerate(message_id, window.require_model()))
        elif action == MessageAction.CONTINUE:
            window.start_turn(lambda: window.session.continue_reply(message_id, window.require_model()))

    def cancel_edit(self, keep_text: bool = False) -> None:
        """Leave edit mode; the text stays in the input as a draft when asked."""
        if self.editing_id is not None:
            self._mark_edited(None)
            self.editing_id = None
            if not keep_text:
                self.window.input.clear()
        self.window.edit_banner.setVisible(False)

    def _mark_edited(self, message_id: int | None) -> None:
        """The message being edited stands out (a stronger border); None: the mark goes."""
        bubble = self.window.chat_view.bubble_for(message_id if message_id is not None else self.editing_id or -1)
        if bubble is not None:
            bubble.set_highlighted(message_id is not None)
