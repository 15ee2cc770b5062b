"""The conversation on screen, built lazily.

Only a window of the messages has widgets: the newest BATCH when a
conversation opens (or those around a search hit), more as the user scrolls
up or down. A 1,000-message conversation therefore opens as fast as a short
one, and a streaming reply only ever re-lays-out its own bubble.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop_llm.core import markdown
from desktop_llm.core.store import Message
from desktop_llm.gui.chat.bubble import MessageBubble

BATCH = 25  # bubbles created at a time
EDGE_PX = 300  # how close to the top or bottom before more are created
ANCHOR_MS = 150  # how long a prepended batch keeps the view anchored


def discard(widget: QWidget) -> None:
    """Hide now, delete when the event loop comes round (a hidden widget
    cannot linger on screen if that takes a while)."""
    widget.hide()
    widget.deleteLater()


class ChatView(QScrollArea):
    action = Signal(str, int)  # a bubble's action: name, message id

    def __init__(self, parent=None):
        super().__init__(parent)
        threading.Thread(target=markdown.warm_up, name="markdown-warm-up", daemon=True).start()
        self.setWidgetResizable(True)
        self.setAccessibleName("Conversation")
        self.setAccessibleDescription("Scroll up for older messages; Tab reaches each message's buttons.")
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(10)
        self.empty_hint = QLabel(
            "<h3>Ask anything</h3>"
            "<p>Draft a blog post, summarize notes, translate a paragraph, or just chat.<br>"
            "Everything runs on this computer; nothing you type leaves it.</p>"
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setStyleSheet("margin-top: 120px;")
        self.empty_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # quiet, and follows the theme
        self.left_out_note = QLabel()
        self.left_out_note.setStyleSheet("font-size: small;")
        self.left_out_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.left_out_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.left_out_note.setWordWrap(True)
        self.left_out_note.setVisible(False)
        self._layout.addWidget(self.empty_hint)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self._messages: list[Message] = []
        self._stream_text: dict[int, str] = {}
        self._alternatives: dict[int, list[int]] = {}
        self._first = self._last = 0  # messages[_first:_last] have bubbles
        self._bubbles: list[MessageBubble] = []  # message bubbles, in order
        self._follow = True
        self._anchor: tuple[MessageBubble, int] | None = None  # kept in place while growing
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)

    # -- contents -------------------------------------------------------------------
    def bubbles(self) -> list[MessageBubble]:
        """Every bubble on screen, notices included, top to bottom."""
        return [w for i in range(self._layout.count())
                if isinstance(w := self._layout.itemAt(i).widget(), MessageBubble)]

    def bubble_for(self, message_id: int) -> MessageBubble | None:
        return next((b for b in self._bubbles if b.message_id == message_id), None)

    @property
    def rendered_range(self) -> tuple[int, int]:
        return self._first, self._last

    @property
    def message_count(self) -> int:
        return len(self._messages)

    def clear(self) -> None:
        for bubble in self.bubbles():
            self._layout.removeWidget(bubble)
            discard(bubble)
        self._bubbles = []
        self._messages = []
        self._first = self._last = 0
        self.left_out_note.setVisible(False)
        self.empty_hint.setVisible(True)
        self._follow = True

    def set_messages(self, messages: list[Message], alternatives: dict[int, list[int]],
                     focus_id: int | None = None, stream_text: dict[int, str] | None = None) -> None:
        """Show a conversation: the newest messages, or those around `focus_id`.
        `stream_text` gives newer text than the history has for streaming rows."""
        self.setUpdatesEnabled(False)
        try:
            self.clear()
            self._messages = list(messages)
            self._alternatives = alternatives
            self._stream_text = stream_text or {}
            n = len(messages)
            index = next((i for i, m in enumerate(messages) if m.id == focus_id), None)
            if index is None:
                self._first = self._last = max(0, n - BATCH)
                self._render(self._first, n)
            else:
                self._first = self._last = max(0, index - 2)
                self._render(self._first, min(n, index + BATCH))
            self.empty_hint.setVisible(n == 0)
        finally:
            self.setUpdatesEnabled(True)
        if index is None:
            self._follow = True
            QTimer.singleShot(0, self.scroll_to_bottom)
        else:
            self._follow = False
            QTimer.singleShot(0, lambda: self.scroll_to_message(focus_id))

    def _make(self, m: Message) -> MessageBubble:
        ids = self._alternatives.get(m.id, [m.id])
        text = self._stream_text.get(m.id, m.content)
        bubble = MessageBubble(m.role, text, m.status, message=m,
                               alternatives=(ids.index(m.id) + 1, len(ids)))
        if m.status == "error" and m.error:
            bubble.set_status("error", f"error: {m.error}")
        bubble.action.connect(self.action)
        return bubble

    def _render(self, start: int, end: int) -> None:
        """Create bubbles for messages[start:end], next to those that exist."""
        if start < self._first:  # prepend
            new = [self._make(m) for m in self._messages[start:self._first]]
            pos = self._layout.indexOf(self._bubbles[0]) if self._bubbles else 1
            for offset, bubble in enumerate(new):
                self._layout.insertWidget(pos + offset, bubble)
            self._bubbles[:0] = new
            self._first = start
        if end > self._last:  # append after the last message bubble
            new = [self._make(m) for m in self._messages[self._last:end]]
            pos = (self._layout.indexOf(self._bubbles[-1]) + 1) if self._bubbles else 1
            for offset, bubble in enumerate(new):
                self._layout.insertWidget(pos + offset, bubble)
            self._bubbles.extend(new)
            self._last = end

    def render_all_after(self) -> None:
        """Make sure the newest message has a bubble (before streaming into it)."""
        self._render(self._first, len(self._messages))

    def add_message(self, m: Message) -> MessageBubble:
        """Append a message (the user's, or a reply that starts streaming)."""
        self.render_all_after()
        self._messages.append(m)
        self._render(self._first, len(self._messages))
        self.empty_hint.setVisible(False)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)
        return self._bubbles[-1]

    def adopt(self, placeholder: MessageBubble, m: Message) -> MessageBubble:
        """The reply's row exists: the placeholder shown since Send becomes its bubble. A new bubble
        cost ~10 ms of the window's time just as the model starts reading the prompt."""
        self.render_all_after()
        after_last = self._layout.indexOf(self._bubbles[-1]) + 1 if self._bubbles else 1
        if self._layout.indexOf(placeholder) != after_last:
            self.remove(placeholder)
            return self.add_message(m)
        self._messages.append(m)
        self._bubbles.append(placeholder)
        self._last = len(self._messages)
        placeholder.bind(m)
        placeholder.action.connect(self.action)
        return placeholder

    def message_ids(self) -> list[int]:
        return [m.id for m in self._messages]

    def replace_message(self, m: Message, alternatives: dict[int, list[int]]) -> MessageBubble | None:
        """Show the stored state of a message (final text, its actions) in place."""
        self._alternatives = alternatives
        for i, old in enumerate(self._messages):
            if old.id == m.id:
                self._messages[i] = m
                break
        bubble = self.bubble_for(m.id)
        if bubble is None:
            return None
        self._stream_text.pop(m.id, None)
        new = self._make(m)
        self._layout.replaceWidget(bubble, new)
        self._bubbles[self._bubbles.index(bubble)] = new
        discard(bubble)
        return new

    def remove(self, bubble: MessageBubble) -> None:
        """Take away a bubble that is not a stored message (a placeholder)."""
        self._layout.removeWidget(bubble)
        discard(bubble)

    def add(self, role: str, text: str = "", status: str = "done") -> MessageBubble:
        """A notice or placeholder that is not a stored message, at the end."""
        bubble = MessageBubble(role, text, status)
        self.empty_hint.setVisible(False)
        self._layout.insertWidget(self._layout.count() - 1, bubble)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)
        return bubble

    def show_left_out(self, count: int) -> None:
        """A discreet line saying the oldest turns did not fit the model's context."""
        if count <= 0:
            self.left_out_note.setVisible(False)
            return
        self.left_out_note.setText(
            f"The {count} oldest messages no longer fit the model's context, so the last reply "
            "was written without them. Raise the context size in Settings to keep more.")
        self._layout.insertWidget(self._layout.count() - 1, self.left_out_note)
        self.left_out_note.setVisible(True)

    # -- scrolling -------------------------------------------------------------------
    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def scroll_to_message(self, message_id: int | None) -> None:
        bubble = self.bubble_for(message_id) if message_id is not None else None
        if bubble is not None:
            bubble.set_highlighted(True)
            self.verticalScrollBar().setValue(max(0, bubble.y() - 12))

    def _on_scrolled(self, value: int) -> None:
        if self._anchor is not None:
            return
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 4
        if value <= EDGE_PX and self._first > 0:
            self._grow_up()
        elif value >= bar.maximum() - EDGE_PX and self._last < len(self._messages):
            self._render(self._first, min(len(self._messages), self._last + BATCH))

    def _grow_up(self) -> None:
        """Prepend a batch, keeping the messages the user is reading in place.

        The layout settles over a few passes, so the anchor bubble's position
        is re-applied whenever the scroll range changes, for a moment."""
        if self._anchor is not None:
            return
        bar = self.verticalScrollBar()
        anchor = self._bubbles[0]
        self._anchor = (anchor, anchor.y() - bar.value())
        self._render(max(0, self._first - BATCH), self._last)
        QTimer.singleShot(ANCHOR_MS, self._release_anchor)

    def _keep_anchor(self) -> None:
        if self._anchor is None:
            return
        anchor, offset = self._anchor
        if anchor in self._bubbles:
            self.verticalScrollBar().setValue(anchor.y() - offset)

    def _release_anchor(self) -> None:
        if self._anchor is not None:
            self._keep_anchor()
            self._anchor = None

    def _on_range_changed(self, _min: int, _max: int) -> None:
        if self._anchor is not None:
            self._keep_anchor()
        elif self._follow:
            self.scroll_to_bottom()
