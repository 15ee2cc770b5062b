"""What the session tells about a turn, shown in the window: the user's message and a
placeholder at Send, the reply streaming into that same bubble, then its final form, or
what went wrong."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from desktop_llm.core.chat import TurnResult, TurnStarted
from desktop_llm.core.store import MessageStatus
from desktop_llm.gui.chat.bubble import MessageBubble
from desktop_llm.gui.shell import Shell


class TurnDisplay:
    def __init__(self, window: Shell, speed_label: QLabel):
        self.window = window
        self.speed_label = speed_label
        self.bubble: MessageBubble | None = None  # the reply being written, where it is shown
        session = window.session
        session.turn_submitted.connect(self.submitted)
        session.reply_started.connect(self.started)
        session.text_arrived.connect(self.text)
        session.reply_finished.connect(self.finished)
        session.reply_failed.connect(self.failed)

    def submitted(self, conversation_id: int) -> None:
        """The user's part is stored: show it (below what is shown when it follows it), and a placeholder."""
        window, view = self.window, self.window.chat_view
        history = window.core.history
        leaf = history.get_message(history.get_conversation(conversation_id).leaf_id or 0)
        if conversation_id == window.conversation_id and view.message_ids()[-1:] == [leaf.parent_id]:
            view.add_message(leaf)
        else:
            window.conversation_id = conversation_id
            window.open_conversation(conversation_id)
        shown = view.bubbles()[-1:]
        if shown and shown[0].role == "assistant" and shown[0].status == MessageStatus.STREAMING:
            self.bubble = shown[0]  # the job was quick: its reply is stored and shown already
        else:
            self.bubble = view.add("assistant", "", MessageStatus.STREAMING)

    def started(self, turn: TurnStarted) -> None:
        """The reply's row exists: the placeholder becomes its bubble (the sidebar
        is refreshed once per turn, here, when its order and counts are final)."""
        window, view, message = self.window, self.window.chat_view, turn.message
        if window.conversation_id == message.conversation_id:
            shown = view.message_ids()
            if message.parent_id is not None and shown and shown[-1] == message.parent_id:
                # The usual case, a reply after the last message: no need to rebuild the view.
                placeholder = self.bubble
                self.bubble = view.adopt(placeholder, message) if placeholder is not None else view.add_message(message)
                view.show_left_out(turn.left_out)
            else:  # a new version or a continued reply: show its branch
                window.open_conversation(message.conversation_id)
        window.refresh_conversations()

    def text(self, text: str) -> None:
        if self.bubble is not None and self.window.session.message_id is not None:
            self.bubble.append(text)

    def finished(self, result: TurnResult) -> None:
        window = self.window
        self.bubble = None
        window.progress_bar.setVisible(False)
        stats = result.stats
        self.speed_label.setText(f"{stats.tokens_per_second:.1f} tokens/s · {stats.completion_tokens} tokens")
        message = result.message
        if message.conversation_id == window.conversation_id and window.chat_view.replace_message(
                message, window.core.history.alternatives(message.conversation_id)) is None:
            window.open_conversation(message.conversation_id)

    def failed(self, text: str, started: bool) -> None:
        window = self.window
        self.bubble = None
        window.progress_bar.setVisible(False)
        history = window.core.history
        conversation_id, message_id = window.session.conversation_id, window.session.message_id
        if conversation_id is not None and conversation_id == window.conversation_id:
            if message_id is None or window.chat_view.replace_message(
                    history.get_message(message_id), history.alternatives(conversation_id)) is None:
                window.open_conversation(conversation_id)
        if not started:  # the turn's conversation was not listed yet
            window.refresh_conversations()
        window.chat_view.add("notice", text)
