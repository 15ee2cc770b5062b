"""Message actions with the real model: copy, code copy, regenerate and versions,
edit, continue, details; conversation settings and Settings; context notice."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desktop_llm.core.markdown import COPY_LINK
from desktop_llm.core.presets import SYSTEM_PRESETS
from desktop_llm.gui.settings_dialog import ConversationSettingsDialog, SettingsDialog
from tests.conftest import set_settings
from tests.gui.helpers import WAIT_MS, loaded, reply_done, send_and_wait


def last_bubble(window, role="assistant"):
    return [b for b in window.chat_view.bubbles() if b.role == role][-1]


def test_copy_message_and_code_block(qtbot, make_window):
    window = make_window()
    h = window.core.history
    cid = h.create_conversation(first_message="Show me code")
    h.add_message(cid, "assistant", "Try this:\n\n```python\nprint('hello')\n```\n")
    window.open_conversation(cid)
    bubble = last_bubble(window)
    assert bubble.code_blocks == ["print('hello')\n"]
    assert f'href="{COPY_LINK}0"' in bubble.body.text()
    bubble.body.linkActivated.emit(f"{COPY_LINK}0")
    assert QApplication.clipboard().text() == "print('hello')\n"
    qtbot.mouseClick(bubble.buttons["copy"], Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text().startswith("Try this:")
    assert "Copied" in window.statusBar().currentMessage()


def test_regenerate_keeps_versions_and_arrows_switch(qtbot, make_window):
    window = loaded(qtbot, make_window())
    send_and_wait(qtbot, window, "Suggest a name for a dog.")
    first = last_bubble(window)
    first_id, first_text = first.message_id, first.text
    assert "previous" not in first.buttons  # only one version yet
    qtbot.mouseClick(first.buttons["regenerate"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    second = last_bubble(window)
    assert second.message_id != first_id and second.version_label.text() == "2/2"
    assert [b.role for b in window.chat_view.bubbles()] == ["user", "assistant"]
    qtbot.mouseClick(second.buttons["previous"], Qt.MouseButton.LeftButton)
    shown = last_bubble(window)
    assert (shown.message_id, shown.text, shown.version_label.text()) == (first_id, first_text, "1/2")
    assert not shown.buttons["previous"].isEnabled() and shown.buttons["next"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # next version
    assert last_bubble(window).version_label.text() == "2/2"
    # Ctrl+R regenerates the last reply from the keyboard.
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert last_bubble(window).version_label.text() == "3/3"


def test_edit_sends_a_new_version_and_keeps_the_old(qtbot, make_window):
    window = loaded(qtbot, make_window())
    send_and_wait(qtbot, window, "Describe a cat.")
    user = last_bubble(window, "user")
    old_id = user.message_id
    qtbot.mouseClick(user.buttons["edit"], Qt.MouseButton.LeftButton)
    assert window.edit_banner.isVisible() and window.input.toPlainText() == "Describe a cat."
    assert window.input.hasFocus()
    window.input.selectAll()
    qtbot.keyClicks(window.input, "Describe a dog.")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert not window.edit_banner.isVisible() and window.input.toPlainText() == ""
    user = last_bubble(window, "user")
    assert user.text == "Describe a dog." and user.version_label.text() == "2/2"
    qtbot.mouseClick(user.buttons["previous"], Qt.MouseButton.LeftButton)
    assert last_bubble(window, "user").message_id == old_id
    assert last_bubble(window, "assistant").text  # the old reply is there too
    # Esc leaves edit mode without sending.
    qtbot.mouseClick(last_bubble(window, "user").buttons["edit"], Qt.MouseButton.LeftButton)
    qtbot.keyClick(window.input, Qt.Key.Key_Escape)
    assert not window.edit_banner.isVisible() and window.input.toPlainText() == ""


def test_continue_a_cut_off_reply(qtbot, make_window, app_home):
    set_settings(app_home, max_tokens=6)
    window = loaded(qtbot, make_window())
    send_and_wait(qtbot, window, "Tell a long story about a dragon.")
    reply = last_bubble(window)
    assert "continue" in reply.buttons and "Ended at the token limit" in reply.buttons["details"].toolTip()
    before = reply.text
    qtbot.mouseClick(reply.buttons["continue"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    after = last_bubble(window)
    assert after.message_id == reply.message_id  # the same message, carried on
    assert after.text.startswith(before.strip()[:5]) and len(after.text) > len(before)
    assert len(window.chat_view.bubbles()) == 2


def test_conversation_settings_dialog(qtbot, make_window):
    window = loaded(qtbot, make_window())
    # For a chat not started yet, the settings wait for its first message.
    dialog = ConversationSettingsDialog(window.core.settings, None, None, window)
    qtbot.addWidget(dialog)
    dialog.system_prompt.preset.setCurrentText("Teacher")
    assert dialog.system_prompt.text.toPlainText() == SYSTEM_PRESETS["Teacher"]
    dialog.temperature.setValue(0.2)
    dialog.max_tokens.setValue(8)
    window.conversations.apply_settings(None, dialog.values())
    send_and_wait(qtbot, window, "What is a noun?")
    c = window.core.history.get_conversation(window.conversation_id)
    assert (c.system_prompt, c.temperature, c.top_p, c.max_tokens) == (SYSTEM_PRESETS["Teacher"], 0.2, None, 8)
    assert window.core.history.messages(c.id)[-1].completion_tokens <= 8
    # Editing the text by hand makes it a custom prompt; Default boxes store None.
    again = ConversationSettingsDialog(window.core.settings, c, None, window)
    qtbot.addWidget(again)
    assert again.system_prompt.preset.currentText() == "Teacher"
    again.system_prompt.text.setPlainText("Answer in French.")
    assert again.system_prompt.preset.currentText() == "Custom"
    again.temperature.setValue(again.temperature.minimum())
    assert again.temperature.text().startswith("Default")
    window.conversations.apply_settings(c.id, again.values())
    c = window.core.history.get_conversation(c.id)
    assert (c.system_prompt, c.temperature) == ("Answer in French.", None)


def test_settings_dialog_saves_and_applies(qtbot, make_window, app_home):
    window = loaded(qtbot, make_window())
    dialog = SettingsDialog(window.core.settings, window.core.registry.installed(), window)
    qtbot.addWidget(dialog)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.font_size.setValue(15)
    dialog.temperature.setValue(0.3)
    dialog.n_ctx.setValue(768)
    window.settings_ui.apply(dialog.result_settings())
    import json

    saved = json.loads((app_home / "config" / "settings.json").read_text())
    assert (saved["theme"], saved["font_size"], saved["temperature"], saved["n_ctx"]) == ("dark", 15, 0.3, 768)
    app = QApplication.instance()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
    assert app.font().pointSize() == 15
    assert not window.model_status.ready  # the context size changed: the model reloads
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    send_and_wait(qtbot, window, "Hi")
    assert window.core.host._engine.n_ctx == 768
    window.settings_ui.apply(SettingsDialog(window.core.settings, [], window).result_settings()
                          .__class__(**{**saved, "theme": "system", "font_size": 0}))
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 100


def test_a_long_conversation_shows_the_left_out_notice(qtbot, make_window, app_home):
    set_settings(app_home, max_tokens=8)
    window = loaded(qtbot, make_window())
    h = window.core.history
    cid = h.create_conversation()
    for i in range(12):
        h.add_message(cid, "user", f"Note {i}: " + "lorem " * 60)
        h.add_message(cid, "assistant", f"Noted {i}.")
    window.open_conversation(cid)
    send_and_wait(qtbot, window, "Which note was last?")
    note = window.chat_view.left_out_note
    assert note.isVisible() and "oldest messages" in note.text()
    assert last_bubble(window).status == "done"


def test_focus_returns_to_the_input_after_sending(qtbot, make_window):
    window = loaded(qtbot, make_window())
    window.input.setFocus()
    send_and_wait(qtbot, window, "Hello")
    assert QApplication.focusWidget() is window.input
    qtbot.mouseClick(last_bubble(window).buttons["regenerate"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert QApplication.focusWidget() is window.input
