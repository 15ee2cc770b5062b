"""The sidebar: new chat, search box and the conversation list.

Conversations are grouped under date headings with pinned ones on top; typing
in the search box (Ctrl+F) replaces the list with matching messages, their
matches in bold. The sidebar emits what the user chose; the window acts.
"""

from __future__ import annotations

import html
from datetime import date
from functools import lru_cache

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QIcon, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.paths import resources_dir
from desktop_llm.core.store import Conversation, SearchHit
from desktop_llm.core.store.records import HIT_END, HIT_START, date_group
from desktop_llm.gui.common.theme import background, tone

ID_ROLE = Qt.ItemDataRole.UserRole
HIT_ROLE = Qt.ItemDataRole.UserRole + 1


@lru_cache(maxsize=1)
def pin_icon() -> QIcon:
    return QIcon(str(resources_dir() / "pin.svg"))
SEARCH_DELAY_MS = 200


def hit_html(hit: SearchHit) -> str:
    snippet = html.escape(" ".join(hit.marked_snippet.split()))
    snippet = snippet.replace(HIT_START, f"<b style='background:{background('hit')}'>").replace(HIT_END, "</b>")
    return f"<b>{html.escape(hit.conversation_title or 'Untitled')}</b><br><span>{snippet}</span>"


class ConversationSidebar(QWidget):
    conversation_chosen = Signal(int)
    hit_chosen = Signal(int, int)  # conversation id, message id
    new_chat_requested = Signal()
    rename_requested = Signal(int, str)
    pin_requested = Signal(int, bool)
    delete_requested = Signal(int)
    export_requested = Signal(int)
    settings_requested = Signal(int)
    search_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        self.new_chat_button = QPushButton("New chat")
        self.new_chat_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_chat_button.setAccessibleName("New chat")
        self.new_chat_button.clicked.connect(self.new_chat_requested)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search all messages (Ctrl+F)")
        self.search_box.setAccessibleName("Search messages")
        self.search_box.setToolTip("Search every message of every conversation (Ctrl+F); Esc clears")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self._on_search_text)
        self.search_box.returnPressed.connect(self._choose_first_hit)
        self.search_status = QLabel()
        self.search_status.setVisible(False)
        self.search_status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.list = QListWidget()
        self.list.setAccessibleName("Conversations")
        self.list.setToolTip("Your conversations. F2 renames, Del deletes, right-click for more.")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._on_activated)
        self.list.itemClicked.connect(self._on_activated)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.installEventFilter(self)
        self.type_into: QWidget | None = None  # where typing goes when it starts in the list (the message box)
        layout.addWidget(self.new_chat_button)
        layout.addWidget(self.search_box)
        layout.addWidget(self.search_status)
        layout.addWidget(self.list, 1)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.search_changed.emit(self.search_box.text()))
        self._conversations: dict[int, Conversation] = {}
        self._filling = False
        self.rename_action = self._list_action("Rename", "F2", self.rename_current)
        self.delete_action = self._list_action("Delete", "Del", self.delete_current)

    def _list_action(self, text: str, shortcut: str, slot) -> QAction:
        action = QAction(text, self.list)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.list.addAction(action)
        return action

    # -- filling ---------------------------------------------------------------------
    @property
    def searching(self) -> bool:
        return bool(self.search_box.text().strip())

    def set_conversations(self, conversations: list[Conversation], current: int | None,
                          today: date | None = None) -> None:
        if self.searching:
            self._conversations = {c.id: c for c in conversations}
            return
        self._filling = True
        self.list.clear()
        self._conversations = {c.id: c for c in conversations}
        group = None
        for c in conversations:
            heading = date_group(c, today)
            if heading != group:
                group = heading
                self.list.addItem(self._heading(heading))
            item = QListWidgetItem(c.title or "Untitled")
            if c.pinned:  # an icon, not an emoji: it shows without an emoji font
                item.setIcon(pin_icon())
                item.setData(Qt.ItemDataRole.AccessibleTextRole, f"Pinned: {c.title or 'Untitled'}")
            item.setData(ID_ROLE, c.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(("Pinned · " if c.pinned else "") + f"{c.title}\n{c.message_count} messages · "
                            f"{c.updated_at[:16].replace('T', ' ')}")
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        self._filling = False

    @staticmethod
    def _heading(text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setForeground(QBrush(QColor(tone("muted"))))  # not the pale grey of a disabled item
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.9)
        item.setFont(font)
        return item

    def restyle(self) -> None:
        """The theme changed: the headings' grey is the new theme's."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ID_ROLE) is None and item.data(HIT_ROLE) is None:
                item.setForeground(QBrush(QColor(tone("muted"))))

    def headings(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())
                if self.list.item(i).data(ID_ROLE) is None and self.list.item(i).data(HIT_ROLE) is None]

    def conversation_items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())
                if self.list.item(i).data(ID_ROLE) is not None]

    def select(self, conversation_id: int | None) -> None:
        self._filling = True
        self.list.clearSelection()
        for item in self.conversation_items():
            if item.data(ID_ROLE) == conversation_id and item.data(HIT_ROLE) is None:
                self.list.setCurrentItem(item)
        self._filling = False

    # -- search ------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _on_search_text(self, _text: str) -> None:
        self._search_timer.start()

    def show_hits(self, query: str, hits: list[SearchHit]) -> None:
        self._filling = True
        self.list.clear()
        self.search_status.setVisible(True)
        self.search_status.setText(f"{len(hits)} matching messages" if hits else f"No messages match “{query}”")
        for hit in hits:
            item = QListWidgetItem()
            item.setData(ID_ROLE, hit.conversation_id)
            item.setData(HIT_ROLE, hit.message_id)
            item.setToolTip(hit.snippet)
            label = QLabel(hit_html(hit))
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setContentsMargins(4, 3, 4, 3)
            label.setAccessibleName(f"{hit.conversation_title}: {hit.snippet}")
            width = self.list.viewport().width() - 4
            item.setSizeHint(QSize(width, label.heightForWidth(width) + 4))
            self.list.addItem(item)
            self.list.setItemWidget(item, label)
        self._filling = False

    def end_search(self) -> None:
        self.search_status.setVisible(False)

    def _choose_first_hit(self) -> None:
        items = self.conversation_items()
        if items:
            self.list.setCurrentItem(items[0])
            self._on_activated(items[0])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A conversation chosen with a click keeps the focus in the list (F2 renames it, Del deletes it),
        and typing there goes on in the message box, as if the click had put the focus there."""
        if (watched is self.list and self.type_into is not None and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.text().isprintable() and event.text()
                and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier):
            self.type_into.setFocus()
            self.type_into.insertPlainText(event.text())  # type: ignore[attr-defined]
            return True
        return False

    # -- choosing and editing --------------------------------------------------------
    def _on_activated(self, item: QListWidgetItem) -> None:
        if self._filling or item.data(ID_ROLE) is None:
            return
        if item.data(HIT_ROLE) is not None:
            self.hit_chosen.emit(item.data(ID_ROLE), item.data(HIT_ROLE))
        else:
            self.conversation_chosen.emit(item.data(ID_ROLE))

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is None or item.data(ID_ROLE) is None or item.data(HIT_ROLE) is not None:
            return
        conversation = self._conversations.get(item.data(ID_ROLE))
        self._filling = True
        item.setText(conversation.title if conversation else item.text())
        self._filling = False
        self.list.editItem(item)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._filling or item.data(ID_ROLE) is None:
            return
        self.rename_requested.emit(item.data(ID_ROLE), item.text())

    def delete_current(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is not None:
            self.delete_requested.emit(conversation_id)

    def toggle_pin_current(self) -> None:
        conversation_id = self.current_id()
        conversation = self._conversations.get(conversation_id) if conversation_id is not None else None
        if conversation_id is not None and conversation is not None:
            self.pin_requested.emit(conversation_id, not conversation.pinned)

    def _context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None or item.data(ID_ROLE) is None:
            return
        self.list.setCurrentItem(item)
        conversation_id = item.data(ID_ROLE)
        conversation = self._conversations.get(conversation_id)
        menu = QMenu(self)
        menu.addAction("Rename\tF2", self.rename_current)
        menu.addAction(("Unpin" if conversation and conversation.pinned else "Pin") + "\tCtrl+Shift+P",
                       self.toggle_pin_current)
        menu.addAction("Conversation settings…", lambda: self.settings_requested.emit(conversation_id))
        menu.addAction("Export…", lambda: self.export_requested.emit(conversation_id))
        menu.addSeparator()
        menu.addAction("Delete\tDel", self.delete_current)
        menu.exec(self.list.viewport().mapToGlobal(pos))
