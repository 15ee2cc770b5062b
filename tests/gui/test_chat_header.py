"""Above and around the chat: the model picker, the note of a conversation's own
system prompt, the last conversation reopened, the message being edited marked,
an empty reply explained, and the Edit menu's text commands."""

import shutil

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_llm.gui.chat.bubble import MessageBubble
from tests.gui.helpers import loaded, send_and_wait


def menu_action(window, menu_title: str, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == menu_title)
    return next(a for a in menu.actions() if a.text() == text)


def test_the_model_picker_lists_installed_and_remote_models_and_switches(qtbot, make_window, starter, tmp_path):
    window = loaded(qtbot, make_window())
    copy = tmp_path / "Tea-Helper.gguf"
    shutil.copy(starter.path, copy)
    window.core.models.import_file(copy)
    window.core.remote_models.add("Office server", "http://127.0.0.1:9/v1", "big-model")
    picker = window.header.model_picker
    assert picker.itemText(picker.currentIndex()) == window.model.name  # the model that answers now
    picker.showPopup()
    names = [picker.itemText(i) for i in range(picker.count())]
    picker.hidePopup()
    assert "Tea-Helper" in names and "☁ Office server" in names
    picker.setCurrentIndex(picker.findData("Tea-Helper"))
    picker.activated.emit(picker.currentIndex())
    qtbot.waitUntil(lambda: window.model_status.ready and window.model.name == "Tea-Helper", timeout=60_000)
    assert window.core.settings.default_model == "Tea-Helper"  # kept for the next start
    send_and_wait(qtbot, window, "Hi")
    assert window.core.history.messages(window.conversation_id)[-1].model == "Tea-Helper"


def test_a_conversations_own_system_prompt_shows_and_the_last_one_reopens(qtbot, make_window):
    window = make_window()
    history = window.core.history
    plain = history.create_conversation(first_message="Hello")
    french = history.create_conversation(first_message="Bonjour", system_prompt="Answer in French, always.")
    window.refresh_conversations()
    window.open_conversation(french)
    assert window.header.prompt_note.isVisible() and "Answer in French" in window.header.prompt_note.text()
    window.open_conversation(plain)
    assert not window.header.prompt_note.isVisible()
    window.open_conversation(french)
    window.close()
    again = make_window()  # the next start shows what was on screen
    assert again.conversation_id == french and again.header.prompt_note.isVisible()
    again.core.history.delete_conversation(french)
    assert make_window().conversation_id is None  # gone: a new chat, no error


def test_the_message_being_edited_is_marked(qtbot, make_window):
    window = make_window()
    cid = window.core.history.create_conversation(first_message="Describe a cat.")
    window.open_conversation(cid)
    user = window.chat_view.bubbles()[0]
    assert not user.highlighted
    qtbot.mouseClick(user.buttons["edit"], Qt.MouseButton.LeftButton)
    assert user.highlighted and "2px" in user.styleSheet()
    qtbot.keyClick(window.input, Qt.Key.Key_Escape)
    assert not user.highlighted


def test_an_empty_reply_says_why(qtbot):
    stopped = MessageBubble("assistant", "", status="stopped")
    qtbot.addWidget(stopped)
    assert "Stopped before the model wrote anything" in stopped.body.text()
    streaming = MessageBubble("assistant", "", status="streaming")
    qtbot.addWidget(streaming)
    assert "Stopped" not in streaming.body.text()


def test_the_edit_menu_cuts_copies_pastes_and_undoes_in_the_focused_field(qtbot, make_window):
    window = make_window()
    window.input.setFocus()
    qtbot.keyClicks(window.input, "green tea")
    menu_action(window, "&Edit", "Select &all").trigger()
    menu_action(window, "&Edit", "Cu&t").trigger()
    assert window.input.toPlainText() == "" and QApplication.clipboard().text() == "green tea"
    menu_action(window, "&Edit", "&Paste").trigger()
    menu_action(window, "&Edit", "&Paste").trigger()
    assert window.input.toPlainText() == "green teagreen tea"
    menu_action(window, "&Edit", "&Undo").trigger()
    assert window.input.toPlainText() == "green tea"
    menu_action(window, "&Edit", "&Redo").trigger()
    assert window.input.toPlainText() == "green teagreen tea"
