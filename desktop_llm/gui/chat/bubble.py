"""One message on screen: header, Markdown body, and its actions.

Actions (copy, edit, regenerate, continue, details, previous/next version)
are tool buttons so that each is reachable by Tab and has an accessible name;
the bubble only emits `action(name, message_id)` and the window decides.
"""

from __future__ import annotations

import html
import json

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
)

from desktop_llm.core import markdown
from desktop_llm.core.enums import TextEnum
from desktop_llm.core.store import Message
from desktop_llm.gui.chat.source_view import SourceDialog, source_title
from desktop_llm.gui.common.theme import background

ROLE_TITLES = {"user": "You", "assistant": "Assistant", "system": "System", "notice": "Notice"}
STATUS_NOTES = {
    "stopped": "stopped",
    "interrupted": "interrupted — the app closed while this reply was being written",
    "error": "error",
    "streaming": "writing…",
}
EMPTY_REPLIES = {
    "stopped": "Stopped before the model wrote anything. Regenerate to try again.",
    "interrupted": "The app closed before the model wrote anything. Regenerate to try again.",
    "error": "No text: the reply failed (see the notice below). Regenerate to try again.",
    "done": "The model answered with no text. Regenerate to try again, or rephrase the question.",
}
COLOURS = {"user": "palette(alternate-base)", "assistant": "palette(base)"}


def details_text(m: Message) -> str:
    lines = [f"Sent {m.created_at[:19].replace('T', ' ')} UTC"]
    if m.model:
        lines.append(f"Model: {m.model}")
    if m.completion_tokens:
        lines.append(f"Tokens: {m.prompt_tokens or 0} in, {m.completion_tokens} out")
    if m.tokens_per_second:
        lines.append(f"Speed: {m.tokens_per_second:.1f} tokens/s")
    if m.ttft_s:
        lines.append(f"First token after {m.ttft_s:.2f} s")
    if m.finish_reason == "length":
        lines.append("Ended at the token limit")
    return "\n".join(lines)


class MessageAction(TextEnum):
    """What a person can do with a message (a bubble's buttons, the Chat menu)."""

    COPY = "copy"
    COPIED_CODE = "copied-code"  # a code block's Copy link was used
    DETAILS = "details"
    PREVIOUS = "previous"  # the previous version at this place
    NEXT = "next"
    EDIT = "edit"
    REGENERATE = "regenerate"
    CONTINUE = "continue"


class MeasuredLabel(QLabel):
    """A word-wrapped label that remembers its height at each width. The chat's layout asks every bubble
    for it whenever the reply being written grows by a line, and measuring rich text is what made the
    window stutter in a long conversation."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()
        super().changeEvent(event)


def sources_label(sources_json: str) -> QLabel:
    """A grounded reply's sources, under it: each shows its passage where it stands in its file
    (and opens the file from there); the passage also shows on hover."""
    try:
        sources = [s for s in json.loads(sources_json) if isinstance(s, dict)]
    except ValueError:
        sources = []
    lines = [f"[{s.get('n')}] <a href='source:{i}' title='{html.escape(s.get('text', '')[:400], quote=True)}'>"
             f"{html.escape(source_title(s))}</a>" for i, s in enumerate(sources)]
    label = MeasuredLabel("<small>Sources:<br>" + "<br>".join(lines) + "</small>" if lines else "")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    label.linkActivated.connect(lambda link: SourceDialog(sources[int(link.split(":")[1])], label.window()).open())
    label.setAccessibleName("Sources of this reply")
    label.setToolTip("Each source shows its passage where it stands in its file")
    return label


class MessageBubble(QFrame):
    action = Signal(str, int)  # a MessageAction, message id

    def __init__(self, role: str, text: str = "", status: str = "done", message: Message | None = None,
                 alternatives: tuple[int, int] = (1, 1), parent=None):
        super().__init__(parent)
        self.role = role
        self.message = message
        self.message_id = message.id if message else None
        self._code_blocks: list[str] = []
        self.stream_body: StreamingText | None = None
        self.setObjectName(f"bubble_{role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        self.header = QLabel()
        self.header.setStyleSheet("font-weight: 600;")
        self.header.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # quiet, and follows the theme
        self.body = MeasuredLabel()
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.body.linkActivated.connect(self._on_link)
        self.body.setAccessibleName(f"{ROLE_TITLES.get(role, role)} message")
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        self.set_highlighted(False)
        self.buttons: dict[MessageAction, QToolButton] = {}
        self.version_label: QLabel | None = None
        self.sources: QLabel | None = None
        if message is not None and message.sources:
            self.sources = sources_label(message.sources)
            layout.addWidget(self.sources)
        if message is not None:
            layout.addLayout(self._build_actions(message, alternatives))
        self._text = text
        self.set_status(status)
        self.set_text(text, final=status != "streaming")

    def bind(self, message: Message) -> None:
        """A placeholder becomes the bubble of the stored message it was waiting for."""
        self.message, self.message_id = message, message.id
        self._layout.addLayout(self._build_actions(message, (1, 1)))
        self.set_status(message.status)

    def set_highlighted(self, on: bool) -> None:
        """A stronger border, for the message a search hit opened or the one being edited."""
        self.highlighted = on
        border = "2px solid palette(highlight)" if on else "1px solid palette(midlight)"
        fill = background("notice") if self.role == "notice" else COLOURS.get(self.role, "palette(base)")
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ background: {fill}; border-radius: 8px;"
                           f" border: {border}; }}")

    def restyle(self) -> None:
        """The theme changed: a style sheet reads palette() once, so it is set again."""
        self.set_highlighted(self.highlighted)

    def _build_actions(self, m: Message, alternatives: tuple[int, int]) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(2)
        position, total = alternatives
        if total > 1:
            self._button(row, MessageAction.PREVIOUS, "‹", "Previous version of this message")
            self.version_label = QLabel(f"{position}/{total}")
            self.version_label.setAccessibleName(f"Version {position} of {total}")
            self.version_label.setToolTip(f"Version {position} of {total}")
            row.addWidget(self.version_label)
            self._button(row, MessageAction.NEXT, "›", "Next version of this message")
            self.buttons[MessageAction.PREVIOUS].setEnabled(position > 1)
            self.buttons[MessageAction.NEXT].setEnabled(position < total)
        self._button(row, MessageAction.COPY, "Copy", "Copy this message")
        if m.role == "user":
            self._button(row, MessageAction.EDIT, "Edit", "Edit this message and send it again as a new version")
        if m.role == "assistant":
            self._button(row, MessageAction.REGENERATE, "Regenerate", "Write another reply in place of this one")
            if m.can_continue:
                self._button(row, MessageAction.CONTINUE, "Continue", "Carry on writing this reply")
            self._button(row, MessageAction.DETAILS, "Details", details_text(m))
        row.addStretch(1)
        return row

    def _button(self, row: QHBoxLayout, name: MessageAction, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(f"{text if len(text) > 1 else tip}")
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.clicked.connect(lambda: self._on_button(name))
        row.addWidget(button)
        self.buttons[name] = button
        return button

    def _on_button(self, name: MessageAction) -> None:
        if name == MessageAction.COPY:
            QGuiApplication.clipboard().setText(self._text)
        self.action.emit(name, self.message_id or 0)

    def _on_link(self, href: str) -> None:
        if href.startswith(markdown.COPY_LINK):
            index = int(href[len(markdown.COPY_LINK):])
            if 0 <= index < len(self._code_blocks):
                QGuiApplication.clipboard().setText(self._code_blocks[index])
                self.action.emit(MessageAction.COPIED_CODE, self.message_id or 0)
            return
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl(href))

    @property
    def text(self) -> str:
        return self._text

    @property
    def code_blocks(self) -> list[str]:
        return list(self._code_blocks)

    def set_status(self, status: str, note: str = "") -> None:
        self.status = status
        title = ROLE_TITLES.get(self.role, self.role)
        extra = note or STATUS_NOTES.get(status, "")
        self.header.setText(f"{title}  ·  {extra}" if extra else title)
        if self.message is not None:
            self.header.setToolTip(details_text(self.message))

    def append(self, text: str) -> None:
        """Add streamed text at the end; only the last paragraph is laid out again."""
        self._text += text
        editor = self._streaming_body()
        cursor = editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    def set_text(self, text: str, final: bool = True) -> None:
        """Plain text while streaming; Markdown once, when complete."""
        self._text = text
        if not final:
            self._streaming_body().setPlainText(text)
            return
        if self.stream_body is not None:
            self.stream_body.hide()
            self.stream_body.deleteLater()
            self.stream_body = None
            self.body.setVisible(True)
        if self.role == "assistant" and not text.strip() and self.status != "streaming":
            self.body.setTextFormat(Qt.TextFormat.RichText)  # an empty bubble says why it is empty
            self.body.setText(f"<i>{EMPTY_REPLIES.get(self.status, EMPTY_REPLIES['done'])}</i>")
        elif self.role in ("assistant", "user"):
            rendered = markdown.render(text, copy_links=True)
            self._code_blocks = rendered.code_blocks
            self.body.setTextFormat(Qt.TextFormat.RichText)
            self.body.setText(rendered.html)
        else:
            self.body.setTextFormat(Qt.TextFormat.PlainText)
            self.body.setText(text)

    def _streaming_body(self) -> "StreamingText":
        if self.stream_body is None:
            self.stream_body = StreamingText(self)
            self.stream_body.setAccessibleName(self.body.accessibleName())
            layout = self._layout
            layout.insertWidget(layout.indexOf(self.body), self.stream_body)
            self.body.setVisible(False)
        return self.stream_body


class StreamingText(QTextEdit):
    """Read-only text that grows with its content (no scroll bar of its own),
    for a reply being written: appending re-lays-out only the last paragraph."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("background: transparent;")
        self.document().setDocumentMargin(0)
        self.setToolTip("The reply as it is being written")
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def _fit(self, *_):
        height = int(self.document().size().height()) + 2
        if height != self.height():
            self.setFixedHeight(max(height, self.fontMetrics().height() + 2))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
