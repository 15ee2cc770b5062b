"""The main window with real widgets (pytest-qt) and the real model."""


from PySide6.QtCore import Qt

from desktop_llm.gui.chat.bubble import MessageAction
from tests.conftest import set_settings
from tests.gui.helpers import WAIT_MS, choose, loaded, reply_done, send_and_wait, type_and_send


def test_window_shows_before_the_model_is_loaded(qtbot, make_window):
    window = make_window()
    assert window.isVisible()
    assert not window.model_status.ready
    assert window.chat_view.empty_hint.isVisible()
    window.start_loading()
    assert window.model_label.text().startswith("Loading")
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    label = window.model_label.text()
    assert "SmolLM2" in label and "135M Q4_1" in label and ("CPU" in label or "GPU" in label)


def test_type_send_and_tokens_arrive(qtbot, make_window):
    window = loaded(qtbot, make_window())
    tokens = []
    window.session.bridge.token.connect(tokens.append)
    type_and_send(qtbot, window, "Write a slogan for a bakery.")
    assert window.input.toPlainText() == ""  # sent
    bubbles = window.chat_view.bubbles()
    assert [b.role for b in bubbles] == ["user", "assistant"]
    assert bubbles[0].text == "Write a slogan for a bakery."
    assert not window.chat_view.empty_hint.isVisible()
    assert not window.send_button.isEnabled() and window.stop_button.isEnabled()
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert tokens, "tokens should reach the GUI as signals"
    reply = window.chat_view.bubbles()[1]
    assert reply.text.strip() and reply.status == "done"
    assert reply.body.textFormat() == Qt.TextFormat.RichText  # rendered Markdown
    assert "tokens/s" in window.speed_label.text()
    assert window.send_button.isEnabled() and not window.stop_button.isEnabled()
    assert len(window.sidebar.conversation_items()) == 1
    assert window.input.hasFocus() or not window.isActiveWindow()


def test_shift_enter_adds_a_line_instead_of_sending(qtbot, make_window):
    window = make_window()
    qtbot.keyClicks(window.input, "first line")
    qtbot.keyClick(window.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.input, "second line")
    assert window.input.toPlainText() == "first line\nsecond line"
    assert window.chat_view.bubbles() == []


def test_stop_ends_the_reply_and_keeps_it(qtbot, make_window, app_home):
    set_settings(app_home, max_tokens=1000)
    window = loaded(qtbot, make_window())
    type_and_send(qtbot, window, "Write a very long story about a ship.")
    qtbot.waitUntil(lambda: len(window.chat_view.bubbles()[1].text) > 20, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    reply = window.chat_view.bubbles()[1]
    assert reply.status == "stopped"
    saved = window.core.history.messages(window.conversation_id)[1]
    assert saved.status == "stopped"
    assert saved.content == reply.text and saved.completion_tokens < 1000


def test_conversation_is_listed_after_restart(qtbot, make_window):
    window = loaded(qtbot, make_window())
    type_and_send(qtbot, window, "Suggest a name for a cat.")
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    reply_text = window.chat_view.bubbles()[1].text
    window.close()
    window.core.close()

    again = make_window()
    assert len(again.sidebar.conversation_items()) == 1
    item = again.sidebar.conversation_items()[0]
    assert item.text() == "Suggest a name for a cat."
    choose(qtbot, again, item)
    bubbles = again.chat_view.bubbles()
    assert [b.role for b in bubbles] == ["user", "assistant"]
    assert bubbles[1].text == reply_text


def test_new_chat_shortcut_and_second_conversation(qtbot, make_window):
    window = loaded(qtbot, make_window())
    type_and_send(qtbot, window, "Hello there.")
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    first = window.conversation_id
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.conversation_id is None and window.chat_view.bubbles() == []
    type_and_send(qtbot, window, "A different topic.")
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert window.conversation_id != first
    assert len(window.sidebar.conversation_items()) == 2


def test_a_bad_model_shows_a_message_and_the_window_stays_usable(qtbot, make_window, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_text("not a model")
    window = make_window()
    window.start_loading(str(bad))
    qtbot.waitUntil(lambda: window.model_label.text() == "No model loaded", timeout=WAIT_MS)
    notice = window.chat_view.bubbles()[-1]
    assert notice.role == "notice" and "not a GGUF model file" in notice.text
    # Still usable: switch to the starter model and chat.
    window.start_loading()
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    type_and_send(qtbot, window, "Are you working?")
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert window.chat_view.bubbles()[-1].status == "done"


def test_interrupted_reply_is_shown_as_such(qtbot, make_window, app_home):
    import subprocess
    import sys

    from desktop_llm.core.paths import AppPaths

    db = AppPaths.from_env().history_db
    code = (
        "import sys, os; from desktop_llm.core.store import History; h = History(sys.argv[1]);"
        "c = h.create_conversation(); h.add_message(c, 'user', 'Tell me a story');"
        "h.add_message(c, 'assistant', 'Once upon a', status='streaming'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)
    window = make_window()
    choose(qtbot, window, window.sidebar.conversation_items()[0])
    reply = window.chat_view.bubbles()[1]
    assert reply.status == "interrupted" and reply.text == "Once upon a"
    assert "interrupted" in reply.header.text()


def test_closing_the_window_mid_reply_keeps_it_as_stopped(qtbot, make_window, app_home):
    set_settings(app_home, max_tokens=1000)
    window = loaded(qtbot, make_window())
    type_and_send(qtbot, window, "Write a very long story about a castle.")
    qtbot.waitUntil(lambda: len(window.chat_view.bubbles()[1].text) > 10, timeout=WAIT_MS)
    conversation = window.conversation_id
    window.close()
    window.core.close()  # what the app does after its window closes
    from desktop_llm.core.paths import AppPaths
    from desktop_llm.core.store import History

    saved = History(AppPaths.from_env().history_db).messages(conversation)
    assert [m.status for m in saved] == ["done", "stopped"]
    assert saved[1].content


def test_a_message_that_cannot_be_saved_stays_in_the_input(qtbot, make_window):
    window = loaded(qtbot, make_window())
    db = window.core.history.connection
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages}")
    text = "An important draft paragraph. " * 2000
    window.input.setPlainText(text)
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    assert window.input.toPlainText() == text  # nothing the user wrote is lost
    notice = window.chat_view.bubbles()[-1]
    assert notice.role == "notice" and "disk is full" in notice.text
    assert window.send_button.isEnabled()


def test_switching_away_and_back_mid_reply_keeps_streaming(qtbot, make_window, app_home):
    set_settings(app_home, max_tokens=400)
    window = loaded(qtbot, make_window())
    type_and_send(qtbot, window, "Say hi.")
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    first = window.conversation_id
    window.new_chat()
    type_and_send(qtbot, window, "Write a very long story about a forest.")
    qtbot.waitUntil(lambda: len(window.chat_view.bubbles()[1].text) > 10, timeout=WAIT_MS)
    streaming = window.conversation_id
    window.open_conversation(first)
    assert [b.role for b in window.chat_view.bubbles()] == ["user", "assistant"]
    qtbot.wait(200)
    window.open_conversation(streaming)
    bubble = window.chat_view.bubbles()[1]
    shown = bubble.text
    assert shown  # what streamed while we looked away is back
    if window.session.job is not None:
        qtbot.waitUntil(lambda: len(bubble.text) > len(shown) or reply_done(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    saved = window.core.history.messages(streaming)[1]
    final = window.chat_view.bubbles()[1]
    assert final.text == saved.content and final.text.startswith(shown)


def test_a_damaged_history_is_offered_recovery_at_start(qtbot, app_home):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop_llm.core.app import AppCore
    from desktop_llm.gui.app import open_history
    from tests.core.test_store import a_history_worth_saving, damage_a_page_of_messages

    core = AppCore()
    a_history_worth_saving(core.paths.history_db)
    damage_a_page_of_messages(core.paths.history_db)
    seen = []

    def answer():  # Recover, then OK on the report
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.text() not in seen:
            seen.append(box.text())
            yes = box.button(QMessageBox.StandardButton.Yes)
            (yes or box.button(QMessageBox.StandardButton.Ok)).click()

    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(30)
    try:
        assert open_history(core)
    finally:
        timer.stop()
    assert "is damaged" in seen[0] and "Recover now?" in seen[0]
    assert seen[1].startswith("Saved 20 conversations") and "damaged file is kept" in seen[1]
    assert len(core.history.list_conversations()) == 20
    core.close()


def test_a_turn_refreshes_the_sidebar_once_and_shows_the_stored_reply(qtbot, make_window):
    """The events carry the stored rows: one sidebar refresh per turn (new conversation or not),
    and the reply on screen is the one in the history."""
    window = loaded(qtbot, make_window())
    refreshes = []
    listed = window.sidebar.set_conversations
    window.sidebar.set_conversations = lambda *args: (refreshes.append(args), listed(*args))[1]
    for text in ("Name a tea.", "And another?"):
        refreshes.clear()
        type_and_send(qtbot, window, text)
        qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
        assert len(refreshes) == 1, text
        stored = window.core.history.messages(window.conversation_id)[-1]
        bubble = window.chat_view.bubbles()[-1]
        assert bubble.message_id == stored.id and bubble.message == stored and stored.status == "done"


def test_the_placeholder_shown_at_send_becomes_the_replys_bubble(qtbot, make_window):
    """No second bubble is made when the reply's row is stored: the one shown since Send streams
    the reply, knows its message and has its buttons while it is written."""
    window = loaded(qtbot, make_window())
    send_and_wait(qtbot, window, "Name a tea.")  # a second turn is the usual case
    window.core.settings.max_tokens = 64
    started = []
    window.session.reply_started.connect(lambda turn: started.append(window.chat_view.bubbles()[-1]))
    type_and_send(qtbot, window, "And a cake?")
    placeholder = window.chat_view.bubbles()[-1]
    assert placeholder.message_id is None and placeholder.status == "streaming"
    qtbot.waitUntil(lambda: bool(started), timeout=WAIT_MS)
    reply_row = window.session.message_id
    assert started[0] is placeholder and placeholder.message_id == reply_row
    assert window.chat_view.bubble_for(reply_row) is placeholder
    assert MessageAction.REGENERATE in placeholder.buttons and MessageAction.COPY in placeholder.buttons
    assert window.chat_view.message_ids()[-1] == reply_row
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    stored = window.core.history.messages(window.conversation_id)
    shown = window.chat_view.bubbles()
    assert [b.message_id for b in shown] == [m.id for m in stored]
    assert shown[-1].status == "done" and shown[-1].text == stored[-1].content


def test_the_write_menu_shortcuts_open_their_pages_without_errors(qtbot, make_window):
    """Ctrl+D used to hand the menu's checked flag (False) to open_documents as the path."""
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.tools.documents is not None and window.tools.documents.isVisible())
    assert window.tools.documents.doc is None  # no document was "opened" from a stray argument


def test_a_message_sent_while_the_model_is_busy_says_what_it_waits_for(qtbot, make_window):
    import threading

    from desktop_llm.core.events import Finished
    from desktop_llm.core.host import JobKind

    window = loaded(qtbot, make_window())
    release, running = threading.Event(), threading.Event()

    def summary_part(ctx):  # a long job's part in hand, as the Documents page runs one
        running.set()
        release.wait(30)
        yield Finished("summary")

    window.core.host.submit(summary_part, kind=JobKind.SUMMARIZE)
    assert running.wait(10)
    type_and_send(qtbot, window, "Hello")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Waiting"), timeout=WAIT_MS)
    assert "summarizing a document" in window.statusBar().currentMessage() and window.progress_bar.isVisible()
    release.set()
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)
    assert not window.statusBar().currentMessage().startswith("Waiting")  # gone once the reply began


def test_a_second_start_hands_its_file_to_the_running_window(qtbot, make_window, app_home, tmp_path):
    """`desktop-llm FILE` (what "Open with" runs) while the window is open: the new process gives the
    file to the window, which opens it in Documents, and quits at once."""
    import os
    import subprocess
    import sys

    from desktop_llm.core.paths import HOME_ENV
    from desktop_llm.gui.instance import InstanceServer, bring_to_front, instance_name

    window = make_window()
    server = InstanceServer(instance_name(window.core.paths.data_dir), window)
    assert server.listening
    server.opened.connect(lambda paths: bring_to_front(window, paths))
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe orchard needs pruning in March.", encoding="utf-8")
    env = dict(os.environ, **{HOME_ENV: str(app_home)}, QT_QPA_PLATFORM="offscreen")
    second = subprocess.Popen([sys.executable, "-m", "desktop_llm", str(notes)], env=env)
    qtbot.waitUntil(lambda: window.tools.documents is not None and "notes.md" in
                    window.tools.documents.windowTitle(), timeout=WAIT_MS)
    assert second.wait(30) == 0  # it handed the file over and quit; no second window


def test_help_has_about_and_a_diagnostic_report_without_what_the_user_wrote(qtbot, make_window, monkeypatch):
    import sys

    from PySide6.QtWidgets import QApplication

    from desktop_llm.core.diagnostics import log_file, start_logging
    from desktop_llm.gui.about import AboutDialog, install_crash_dialog
    from tests.gui.helpers import answer_message_box

    window = make_window()
    window.core.history.create_conversation(title="Plans", first_message="my secret plan zebra-42")
    (help_menu,) = [m for m in window.menuBar().actions() if m.text() == "&Help"]
    names = [a.text() for a in help_menu.menu().actions()]
    assert names == ["Copy &diagnostic report", "&About desktop-llm…"]
    help_menu.menu().actions()[0].trigger()
    report = QApplication.clipboard().text()
    assert report.startswith("desktop-llm ") and "Engine: llama-cpp-python" in report and "Qt: " in report
    assert "CPU cores:" in report and str(window.core.paths.data_dir) in report and "zebra-42" not in report
    about = AboutDialog(window.core, window)
    qtbot.addWidget(about)
    assert "llama.cpp" in about.text.text() and "LGPL-3.0" in about.text.text()

    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # the log file's handler goes after the test
    monkeypatch.setattr(root, "level", root.level)
    start_logging(window.core.paths.data_dir)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    install_crash_dialog(window.core, window)
    seen: list = []
    answer_message_box(qtbot, seen)
    try:
        raise RuntimeError("a slot broke")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert seen and "a slot broke" in seen[0] and "What you wrote is saved" in seen[0]
    assert "a slot broke" in log_file(window.core.paths.data_dir).read_text()
