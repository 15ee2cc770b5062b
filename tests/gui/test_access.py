"""Keyboard and accessibility: names, tooltips, shortcuts, Tab order;
export and import from the window."""

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QWidget,
)

from desktop_llm.gui.settings_dialog import ConversationSettingsDialog, SettingsDialog
from tests.gui.helpers import answer_message_box

CONTROLS = (QAbstractButton, QLineEdit, QPlainTextEdit, QAbstractItemView, QComboBox, QAbstractSpinBox)


def part_of_a_control(w: QWidget) -> bool:
    """A combo box's popup list, a spin box's line edit, a list's header, a tab bar's arrows..."""
    parent = w.parent()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QLineEdit, QAbstractItemView, QTabBar)):
            return True
        parent = parent.parent()
    return False


def unnamed_controls(root: QWidget) -> list[str]:
    missing = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or part_of_a_control(w):
            continue
        if type(w).__name__ in ("QScrollBar",) or w.objectName().startswith("qt_"):
            continue
        if not w.accessibleName() or not w.toolTip():
            missing.append(f"{type(w).__name__} {w.text() if hasattr(w, 'text') else ''!r}")
    return missing


def test_every_control_has_a_name_and_tooltip(qtbot, make_window):
    window = make_window()
    h = window.core.history
    cid = h.create_conversation(first_message="Hello")
    user = h.messages(cid)[0]
    h.add_message(cid, "assistant", "One", status="stopped")
    h.add_message(cid, "assistant", "Two", parent_id=user.id)
    window.open_conversation(cid)
    window.messages.run("edit", user.id)  # shows the edit banner's button too
    assert unnamed_controls(window) == []
    assert window.chat_view.accessibleName() == "Conversation"
    for dialog in (SettingsDialog(window.core.settings, window.core.registry.installed(), window),
                   ConversationSettingsDialog(window.core.settings, h.get_conversation(cid), None, window)):
        qtbot.addWidget(dialog)
        assert unnamed_controls(dialog) == [], type(dialog).__name__


def test_every_menu_action_has_a_shortcut(qtbot, make_window):
    window = make_window()
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if not action.isSeparator():
                assert not action.shortcut().isEmpty(), action.text()


def test_tab_leaves_the_input_and_reaches_the_buttons(qtbot, make_window):
    window = make_window()
    window.input.setFocus()
    qtbot.keyClick(window.input, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not window.input
    seen = set()
    for _ in range(30):
        seen.add(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert {window.send_button, window.sidebar.search_box, window.sidebar.list, window.input} <= seen


def test_export_and_import_from_the_window(qtbot, make_window, tmp_path):
    window = make_window()
    h = window.core.history
    cid = h.create_conversation(first_message="Export me")
    h.add_message(cid, "assistant", "Sure.")
    window.open_conversation(cid)
    target = tmp_path / "chat.json"
    assert window.files.export_to(cid, target, "json")
    assert "Saved" in window.statusBar().currentMessage()
    assert json.loads(target.read_text())["messages"][1]["content"] == "Sure."
    imported = window.files.import_from(target)
    assert window.conversation_id == imported != cid
    assert [b.text for b in window.chat_view.bubbles()] == ["Export me", "Sure."]
    seen: list = []
    answer_message_box(qtbot, seen)
    assert not window.files.export_to(cid, tmp_path / "missing" / "x.md", "md")
    assert seen and "does not exist" in seen[0]
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [{"role": "user"}]}')
    answer_message_box(qtbot, seen)
    assert window.files.import_from(bad) is None
    assert "no text content" in seen[1]
    assert len(h.list_conversations()) == 2


def test_the_newer_dialogs_name_their_controls(qtbot, make_window):
    from desktop_llm.gui.models.remote_dialog import RemoteModelsDialog

    window = make_window()
    for dialog in (RemoteModelsDialog(window.core.remote_models, window),
                   SettingsDialog(window.core.settings, [], window, api_key="k")):
        qtbot.addWidget(dialog)
        assert unnamed_controls(dialog) == [], type(dialog).__name__
