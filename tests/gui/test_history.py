"""The sidebar: date groups, pins, rename, delete with undo, search; long chats."""

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import Qt

from desktop_llm.core.store.records import HIT_START
from desktop_llm.gui.chat.view import BATCH
from tests.gui.helpers import choose


def _history(window):
    return window.core.history


def _age(window, conversation_id, days):
    ts = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="milliseconds")
    _history(window).connection.execute("UPDATE conversations SET updated_at=? WHERE id=?", (ts, conversation_id))


def _item(window, conversation_id):
    return next(i for i in window.sidebar.conversation_items()
                if i.data(Qt.ItemDataRole.UserRole) == conversation_id)


def test_conversations_are_grouped_by_date_with_pinned_on_top(qtbot, make_window):
    window = make_window()
    h = _history(window)
    ids = {name: h.create_conversation(first_message=name)
           for name in ["today", "yesterday", "last week", "long ago", "pinned"]}
    _age(window, ids["yesterday"], 1)
    _age(window, ids["last week"], 4)
    _age(window, ids["long ago"], 40)
    _age(window, ids["pinned"], 90)
    h.update_conversation(ids["pinned"], pinned=True)
    window.refresh_conversations()
    assert window.sidebar.headings() == ["Pinned", "Today", "Yesterday", "Previous 7 days", "Older"]
    titles = [i.text() for i in window.sidebar.conversation_items()]
    assert titles == ["pinned", "today", "yesterday", "last week", "long ago"]
    pinned = [not i.icon().isNull() for i in window.sidebar.conversation_items()]
    assert pinned == [True, False, False, False, False]  # the pin is an icon (no emoji font needed)
    assert window.sidebar.conversation_items()[0].icon().pixmap(16, 16).toImage().pixelColor(8, 8).alpha() > 0
    # Ctrl+Shift+P pins the open conversation.
    choose(qtbot, window, _item(window, ids["long ago"]))
    assert window.conversation_id == ids["long ago"]
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert h.get_conversation(ids["long ago"]).pinned
    assert window.sidebar.headings()[0] == "Pinned"
    assert len([i for i in window.sidebar.conversation_items() if not i.icon().isNull()]) == 2


def test_f2_renames_in_place(qtbot, make_window):
    window = make_window()
    cid = _history(window).create_conversation(first_message="Draft a newsletter")
    window.refresh_conversations()
    item = _item(window, cid)
    choose(qtbot, window, item)
    window.sidebar.list.setFocus()
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_F2)
    editor = window.sidebar.list.findChild(type(window.sidebar.search_box))
    qtbot.waitUntil(lambda: editor is not None and editor.isVisible() or
                    bool(window.sidebar.list.findChildren(type(window.sidebar.search_box))))
    editor = [e for e in window.sidebar.list.findChildren(type(window.sidebar.search_box)) if e.isVisible()][0]
    editor.selectAll()
    qtbot.keyClicks(editor, "Spring newsletter")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _history(window).get_conversation(cid).title == "Spring newsletter")
    assert _item(window, cid).text() == "Spring newsletter"


def test_delete_then_undo(qtbot, make_window):
    window = make_window()
    h = _history(window)
    keep = h.create_conversation(first_message="keep me")
    doomed = h.create_conversation(first_message="delete me")
    window.refresh_conversations()
    choose(qtbot, window, _item(window, doomed))
    window.sidebar.list.setFocus()
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)
    assert [c.id for c in h.list_conversations()] == [keep]
    assert window.conversation_id is None
    assert window.undo_button.isVisible() and "Ctrl+Z" in window.statusBar().currentMessage()
    window.input.setFocus()  # where the focus usually is: the message box has its own undo
    qtbot.keyClicks(window.input, "a draft")
    qtbot.keyClick(window.input, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sorted(c.id for c in h.list_conversations()) == [keep, doomed]
    assert window.input.toPlainText() == "a draft"  # the delete was undone, not the typing
    assert window.conversation_id == doomed and not window.undo_button.isVisible()
    # Deleting again and closing the window deletes for good.
    window.conversations.delete(doomed)
    window.close()
    assert h.connection.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 1


def test_search_shows_highlighted_hits_and_opens_the_message(qtbot, make_window):
    window = make_window()
    h = _history(window)
    cid = h.create_conversation(first_message="Filler")
    for i in range(80):
        h.add_message(cid, "assistant" if i % 2 == 0 else "user", f"Message number {i} about nothing")
    target = h.add_message(cid, "assistant", "The ukulele lesson is on Tuesday")
    for i in range(80):
        h.add_message(cid, "user" if i % 2 == 0 else "assistant", f"Later message {i}")
    h.create_conversation(first_message="Something else entirely")
    window.refresh_conversations()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search_box.hasFocus()
    for query in ['"(', "AND", "ukul*", "NEAR("]:  # FTS5 syntax never breaks the search
        window.sidebar.search_box.setText(query)
        qtbot.waitUntil(lambda q=query: window.sidebar.search_status.isVisible() or not q.strip())
    window.sidebar.search_box.setText("ukulele")
    qtbot.waitUntil(lambda: "1 matching" in window.sidebar.search_status.text())
    (hit,) = window.sidebar.conversation_items()
    label = window.sidebar.list.itemWidget(hit)
    assert "<b style" in label.text() and "ukulele" in label.text() and HIT_START not in label.text()
    qtbot.keyClick(window.sidebar.search_box, Qt.Key.Key_Return)
    assert window.conversation_id == cid
    bubble = window.chat_view.bubble_for(target)
    assert bubble is not None
    qtbot.waitUntil(lambda: bubble.visibleRegion().boundingRect().height() > 0)
    first, last = window.chat_view.rendered_range
    assert last - first <= BATCH + 2 < window.chat_view.message_count
    # Clearing the search brings the list back.
    window.sidebar.search_box.clear()
    qtbot.waitUntil(lambda: len(window.sidebar.headings()) >= 1)
    assert not window.sidebar.search_status.isVisible()


def test_a_hit_on_an_older_version_switches_to_it(qtbot, make_window):
    window = make_window()
    h = _history(window)
    cid = h.create_conversation(first_message="Name a colour")
    user = h.messages(cid)[0]
    old = h.add_message(cid, "assistant", "Vermilion")
    h.add_message(cid, "assistant", "Blue", parent_id=user.id)
    window.open_hit(cid, old)
    assert [b.text for b in window.chat_view.bubbles()] == ["Name a colour", "Vermilion"]
    assert window.chat_view.bubble_for(old).version_label.text() == "1/2"


def test_a_thousand_messages_open_lazily_and_grow_on_scroll(qtbot, make_window):
    window = make_window()
    h = _history(window)
    cid = h.create_conversation(first_message="start")
    for i in range(999):
        h.add_message(cid, "assistant" if i % 2 == 0 else "user", f"Message {i}\n\n```python\nx = {i}\n```")
    window.open_conversation(cid)
    assert window.chat_view.message_count == 1000
    assert len(window.chat_view.bubbles()) == BATCH
    qtbot.waitUntil(lambda: window.chat_view.verticalScrollBar().value() > 0)
    bar = window.chat_view.verticalScrollBar()
    reading = window.chat_view.bubbles()[0]
    on_screen = reading.y()  # its place in the view once scrolled to the top
    bar.setValue(0)  # scrolled to the top: an earlier batch appears above
    assert len(window.chat_view.bubbles()) == 2 * BATCH
    # The message being read stays where it was on screen.
    qtbot.waitUntil(lambda: bar.value() > 0 and reading.y() - bar.value() == on_screen)
    qtbot.wait(200)
    assert reading.y() - bar.value() == on_screen
    assert window.chat_view.rendered_range == (1000 - len(window.chat_view.bubbles()), 1000)


def test_keys_work_where_the_focus_is(qtbot, make_window):
    """After a click on a conversation F2 and Del act on it, and typing goes on in the message box;
    a menu shortcut a line edit would take for itself (Ctrl+D) still works from the search box."""
    window = make_window()
    h = _history(window)
    cid = h.create_conversation(first_message="first")
    window.refresh_conversations()
    choose(qtbot, window, _item(window, cid))
    assert window.conversation_id == cid and window.sidebar.list.hasFocus()
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_F2)
    assert window.sidebar.list.state() == window.sidebar.list.State.EditingState
    qtbot.keyClick(window.sidebar.list.focusWidget() or window.sidebar.list, Qt.Key.Key_Escape)
    choose(qtbot, window, _item(window, cid))
    qtbot.keyClicks(window.sidebar.list, "Hi")
    assert window.input.hasFocus() and window.input.toPlainText() == "Hi"
    window.sidebar.search_box.setFocus()
    qtbot.keyClick(window.sidebar.search_box, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.tools.documents is not None and window.tools.documents.isVisible()
    # With the GNOME and KDE key bindings a line edit claims Ctrl+E ("end of line"): the window's
    # shortcut keeps it; the keys of editing stay the field's.
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    def claimed(key) -> bool:
        return window.menu_keys.eventFilter(window.sidebar.search_box, QKeyEvent(
            QEvent.Type.ShortcutOverride, key, Qt.KeyboardModifier.ControlModifier))
    assert claimed(Qt.Key.Key_E) and not claimed(Qt.Key.Key_C) and not claimed(Qt.Key.Key_Z)
    choose(qtbot, window, _item(window, cid))
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)
    assert cid not in [c.id for c in h.list_conversations()]
