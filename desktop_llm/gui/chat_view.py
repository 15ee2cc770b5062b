"""The scrolling list of message bubbles.

While a reply streams, its bubble shows plain text appended in small batches
(the window coalesces tokens); when the reply is complete it is rendered once
as Markdown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

ROLE_TITLES = {"user": "You", "assistant": "Assistant", "system": "System", "notice": "Notice"}
STATUS_NOTES = {
    "stopped": "stopped",
    "interrupted": "interrupted — the app closed while this reply was being written",
    "error": "error",
    "streaming": "writing…",
}


class MessageBubble(QFrame):
    def __init__(self, role: str, text: str = "", status: str = "done", parent=None):
        super().__init__(parent)
        self.role = role
        self.setObjectName(f"bubble_{role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        self.header = QLabel()
        self.header.setStyleSheet("font-weight: 600; color: #555;")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.body.setOpenExternalLinks(True)
        self.body.setAccessibleName(f"{ROLE_TITLES.get(role, role)} message")
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        colours = {"user": "#e8f0fe", "assistant": "palette(base)", "notice": "#fdecea"}
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: {colours.get(role, 'palette(base)')};"
            " border-radius: 8px; border: 1px solid palette(midlight); }"
        )
        self._text = text
        self.set_status(status)
        self.set_text(text, final=status != "streaming")

    @property
    def text(self) -> str:
        return self._text

    def set_status(self, status: str, note: str = "") -> None:
        self.status = status
        title = ROLE_TITLES.get(self.role, self.role)
        extra = note or STATUS_NOTES.get(status, "")
        self.header.setText(f"{title}  ·  {extra}" if extra else title)

    def append(self, text: str) -> None:
        self.set_text(self._text + text, final=False)

    def set_text(self, text: str, final: bool = True) -> None:
        self._text = text
        if final and self.role in ("assistant", "user"):
            self.body.setTextFormat(Qt.TextFormat.MarkdownText)
        else:
            self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setText(text)


class ChatView(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Conversation")
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
        self.empty_hint.setStyleSheet("color: #666; margin-top: 120px;")
        self._layout.addWidget(self.empty_hint)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)

    def bubbles(self) -> list[MessageBubble]:
        return [
            self._layout.itemAt(i).widget()
            for i in range(self._layout.count())
            if isinstance(self._layout.itemAt(i).widget(), MessageBubble)
        ]

    def clear(self) -> None:
        for bubble in self.bubbles():
            self._layout.removeWidget(bubble)
            bubble.deleteLater()
        self.empty_hint.setVisible(True)
        self._follow = True

    def add(self, role: str, text: str = "", status: str = "done") -> MessageBubble:
        bubble = MessageBubble(role, text, status)
        self.empty_hint.setVisible(False)
        self._layout.insertWidget(self._layout.count() - 1, bubble)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)
        return bubble

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 4

    def _on_range_changed(self, _min: int, _max: int) -> None:
        if self._follow:
            self.scroll_to_bottom()
