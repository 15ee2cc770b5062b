"""The window with a remote model (a real llama_cpp.server), and the
window's own API server."""

import threading

import openai
import pytest

from tests.conftest import free_port


def test_the_window_marks_a_remote_model_and_asks_before_the_first_send(qtbot, make_window, llama_server):
    from dataclasses import replace

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from desktop_llm.gui.models.remote_dialog import RemoteModelsDialog
    from tests.gui.helpers import WAIT_MS, answer_message_box, type_and_send

    window = make_window()
    dialog = RemoteModelsDialog(window.core.remote_models, window)
    qtbot.addWidget(dialog)
    dialog.url.setText("not an address")
    dialog.name.setText("lab")
    dialog.add()
    assert "is not a web address" in dialog.message.plain
    dialog.url.setText(llama_server)
    dialog.model.setText("starter")
    dialog.context.setValue(1024)
    dialog.add()
    assert dialog.list.count() == 1 and dialog.list.item(0).text().startswith("☁ lab")
    window.settings_ui.apply(replace(window.core.settings, default_model="lab"))
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    assert window.model_label.text().startswith("☁ lab") and "leaves this computer" in window.model_label.text()
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Cancel)
    type_and_send(qtbot, window, "Hello there")
    assert "leave this computer" in seen[0] and window.input.toPlainText() == "Hello there"  # nothing sent, kept
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Yes)
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.job is None and window.conversation_id is not None, timeout=WAIT_MS)
    messages = window.core.history.messages(window.conversation_id)
    assert [m.role for m in messages] == ["user", "assistant"] and messages[1].content
    assert len(seen) == 2  # asked once per model, not at every message


def test_writing_tools_ask_before_sending_to_a_remote_model(qtbot, make_window, llama_server, app_home):
    from PySide6.QtWidgets import QMessageBox

    from tests.conftest import set_settings
    from tests.gui.helpers import WAIT_MS, answer_message_box

    set_settings(app_home, default_model="lab")
    window = make_window()
    window.core.remote_models.add("lab", llama_server, "starter", n_ctx=1024)
    window.start_loading()
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    workspace = window.tools.open_workspace()
    workspace.form.select("social-post")
    workspace.form.set_values({"topic": "tea"})
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Cancel)
    workspace.form.generate_button.click()
    assert "Nothing was sent" in workspace.status.plain and workspace.job is None
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Yes)
    workspace.form.variants.setValue(1)
    workspace.form.generate_button.click()
    qtbot.waitUntil(lambda: workspace.job is None, timeout=WAIT_MS)
    assert len(workspace.variants.texts()) == 1 and len(seen) == 2


def test_the_window_serves_the_api_when_settings_say_so(qtbot, make_window):
    from dataclasses import replace

    from desktop_llm.gui.settings_dialog import SettingsDialog
    from tests.gui.helpers import loaded

    window = loaded(qtbot, make_window())
    port = free_port()
    dialog = SettingsDialog(window.core.settings, [], window, api_key="")
    qtbot.addWidget(dialog)
    dialog.api_server.setChecked(True)
    dialog.api_port.setValue(port)
    window.settings_ui.apply(dialog.result_settings())
    assert window.api_ui.server is not None and window.api_ui.label.isVisible()
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=120)
    seen = []
    timer_check = lambda: seen.append(window.api_ui.label.text())  # noqa: E731
    window.api_ui.timer.timeout.connect(timer_check)
    done = []
    threading.Thread(target=lambda: done.append(client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "Tell me about tea."}], max_tokens=120)),
        daemon=True).start()
    qtbot.waitUntil(lambda: bool(done), timeout=120_000)
    assert done[0].choices[0].message.content
    assert any("generating" in text for text in seen)  # the window showed the API at work
    window.settings_ui.apply(replace(window.core.settings, api_server=False))
    assert window.api_ui.server is None and not window.api_ui.label.isVisible()
    with pytest.raises(openai.APIConnectionError):
        client.models.list()


def test_a_change_to_the_model_list_does_not_reload_a_remote_model(qtbot, make_window, llama_server, app_home):
    """A remote model has no file: the list of installed models changing (an import, a
    removal, a finished download) must not load it again — only the loss of a local file does."""
    from tests.conftest import set_settings
    from tests.gui.helpers import WAIT_MS

    set_settings(app_home, default_model="lab")
    window = make_window()
    window.core.remote_models.add("lab", llama_server, "starter", n_ctx=1024)
    loads = []
    window.model_status.bridge.progress.connect(lambda done, total, label: loads.append(label))
    window.start_loading()
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    assert window.model.is_remote and loads
    loads.clear()
    models = window.models_ui.open()
    models.models_changed.emit()  # what an import, a removal or a finished download says
    qtbot.wait(300)
    assert window.model_status.ready and loads == [] and window.model.name == "lab"


def test_removing_the_loaded_local_model_loads_another(qtbot, make_window, app_home, starter, tmp_path):
    import shutil

    from tests.gui.helpers import WAIT_MS, loaded

    copy = tmp_path / "copy-of-starter.gguf"
    shutil.copy(starter.path, copy)
    window = loaded(qtbot, make_window())
    window.start_loading(str(copy))
    qtbot.waitUntil(lambda: window.model_status.ready and window.model.name == "copy-of-starter", timeout=WAIT_MS)
    copy.unlink()
    window.models_ui.open().models_changed.emit()
    assert not window.model_status.ready  # loading again, with the default model
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    assert window.model.name == starter.name


def test_remote_models_remove_is_never_the_default_and_needs_a_choice(qtbot, make_window):
    from PySide6.QtCore import Qt

    from desktop_llm.gui.models.remote_dialog import RemoteModelsDialog

    window = make_window()
    dialog = RemoteModelsDialog(window.core.remote_models, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.list.count() == 0 and not dialog.remove_button.isEnabled()
    assert dialog.add_button.isDefault() and not dialog.remove_button.autoDefault()
    dialog.name.setText("Local Ollama")
    dialog.url.setText("http://127.0.0.1:11434/v1")
    dialog.model.setText("llama3.2")
    qtbot.keyClick(dialog.model, Qt.Key.Key_Return)  # Enter in the form adds
    assert dialog.list.count() == 1 and "Added Local Ollama" in dialog.message.plain
    assert not dialog.remove_button.isEnabled()
    dialog.list.setCurrentRow(0)
    assert dialog.remove_button.isEnabled()
