"""Remote backends against a real llama_cpp.server running the starter model
(and against this app's own API server); servers that are down, slow or
answer garbage."""

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from desktop_llm.core import remote
from desktop_llm.core.app import AppCore
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Failed, Finished, Token
from desktop_llm.core.server.runner import ApiServer
from tests.conftest import free_port
from tests.test_models_hub import run_cli


@pytest.fixture(scope="session")
def llama_server(starter):
    """llama-cpp-python's own OpenAI server on 127.0.0.1, the starter loaded."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(starter.path),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


class Garbage(BaseHTTPRequestHandler):
    """A web server that is not an OpenAI API (and one path that is slow)."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        if "slow" in self.path:
            time.sleep(2)
        body = b"<html><body>Welcome to my homepage</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def garbage_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def reply_events(core, model, text="Say hello in three words.", cancel_after=None):
    job = core.chat.send(text, model)
    events = []
    for event in job.events():
        events.append(event)
        if cancel_after is not None and isinstance(event, Token) and \
                sum(isinstance(e, Token) for e in events) >= cancel_after:
            job.cancel()
    return events


def test_chat_with_a_backend_from_the_cli(app_home, capsys, llama_server):
    code, out, err = run_cli(capsys, "chat", "--backend", llama_server, "--api-model", "starter",
                             "Say hello.", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["text"] and result["model"].startswith("127.0.0.1:") and "leaves this computer" in err


def test_a_configured_remote_model_streams_stops_and_is_stored(core, llama_server):
    core.remote_models.add("lab", llama_server, "starter", n_ctx=1024)
    model = core.resolve_model("lab")
    assert model.source == "remote"
    events = reply_events(core, model)
    assert sum(isinstance(e, Token) for e in events) > 1 and isinstance(events[-1], Finished)
    stopped = reply_events(core, model, "Write a long story about tea.", cancel_after=3)
    assert isinstance(stopped[-1], Finished) and stopped[-1].result.status == "stopped"
    [conversation, _] = core.history.list_conversations()
    messages = core.history.messages(conversation.id)
    assert messages[-1].role == "assistant" and messages[-1].content
    loaded = core.host.load(model)
    result = [e for e in loaded.events() if isinstance(e, Finished)][0].result
    assert result.device.startswith("Remote: 127.0.0.1") and result.info.architecture == "remote"


def test_this_app_as_a_backend_with_its_api_key(core, app_home):
    server = ApiServer(core, "127.0.0.1", free_port(), api_key="sk-other-copy")
    server.start()
    try:
        client_core = AppCore()
        try:
            client_core.remote_models.add("copy", server.url, "default", api_key="wrong", n_ctx=1024)
            events = reply_events(client_core, client_core.resolve_model("copy"))
            assert isinstance(events[-1], Failed) and "refused the API key" in events[-1].user_message
            client_core.remote_models.add("copy", server.url, "default", api_key="sk-other-copy", n_ctx=1024)
            events = reply_events(client_core, client_core.resolve_model("copy"))
            assert isinstance(events[-1], Finished) and events[-1].result.text
        finally:
            client_core.close()
    finally:
        server.stop()


def test_a_server_that_is_down_is_explained(core):
    core.remote_models.add("gone", f"http://127.0.0.1:{free_port()}/v1", "m")
    events = reply_events(core, core.resolve_model("gone"))
    assert isinstance(events[-1], Failed) and "Cannot reach" in events[-1].user_message


def test_garbage_and_slow_servers_are_explained(core, garbage_server, monkeypatch):
    core.remote_models.add("web", garbage_server + "/v1", "m")
    events = reply_events(core, core.resolve_model("web"))
    assert isinstance(events[-1], Failed) and "not the OpenAI API" in events[-1].user_message
    monkeypatch.setattr(remote, "READ_TIMEOUT_S", 0.5)
    core.remote_models.add("slow", garbage_server + "/slow/v1", "m")
    events = reply_events(core, core.resolve_model("slow"))
    assert isinstance(events[-1], Failed) and "did not answer in time" in events[-1].user_message


def test_offline_mode_refuses_remote_models(core, llama_server):
    core.remote_models.add("lab", llama_server, "starter")
    core.settings.offline = True
    events = reply_events(core, core.resolve_model("lab"))
    assert isinstance(events[-1], Failed) and "offline mode is on" in events[-1].user_message


def test_remote_cli_add_list_remove(app_home, capsys):
    code, _, err = run_cli(capsys, "remote", "add", "lab", "not a url")
    assert code == 1 and "is not a web address" in err
    code, _, _ = run_cli(capsys, "remote", "add", "lab", "http://127.0.0.1:9/v1", "--api-model", "m")
    assert code == 0
    code, out, _ = run_cli(capsys, "remote", "list", "--json")
    assert json.loads(out) == [{"name": "lab", "base_url": "http://127.0.0.1:9/v1", "model": "m", "context": 8192}]
    code, _, _ = run_cli(capsys, "remote", "remove", "lab")
    code, out, _ = run_cli(capsys, "remote", "list", "--json")
    assert code == 0 and json.loads(out) == []
    with pytest.raises(UserError, match="No remote model named"):
        AppCore().remote_models.get("lab")


def test_the_window_marks_a_remote_model_and_asks_before_the_first_send(qtbot, make_window, llama_server):
    from dataclasses import replace

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from desktop_llm.gui.remote_models_dialog import RemoteModelsDialog
    from tests.gui_helpers import WAIT_MS, answer_message_box, type_and_send

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
    window.apply_settings(replace(window.core.settings, default_model="lab"))
    qtbot.waitUntil(lambda: window.model_ready, timeout=WAIT_MS)
    assert window.model_label.text().startswith("☁ lab") and "leaves this computer" in window.model_label.text()
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Cancel)
    type_and_send(qtbot, window, "Hello there")
    assert "leave this computer" in seen[0] and window.input.toPlainText() == "Hello there"  # nothing sent, kept
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Yes)
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window._job is None and window.conversation_id is not None, timeout=WAIT_MS)
    messages = window.core.history.messages(window.conversation_id)
    assert [m.role for m in messages] == ["user", "assistant"] and messages[1].content
    assert len(seen) == 2  # asked once per model, not at every message


def test_writing_tools_work_with_a_remote_model(core, llama_server):
    core.remote_models.add("lab", llama_server, "starter", n_ctx=1024)
    model = core.resolve_model("lab")
    templates = core.templates()
    job = core.writer.draft(templates["social-post"], {"topic": "a tea shop", "platform": "X"}, model, variants=2)
    draft = [e for e in job.events() if isinstance(e, (Finished, Failed))][-1]
    assert isinstance(draft, Finished), draft
    assert len(draft.result.variants) == 2 and all(0 < len(v) <= 280 for v in draft.result.variants)
    job = core.writer.analyze(["Lovely tea", "Broken lid"], model)
    analysis = [e for e in job.events() if isinstance(e, (Finished, Failed))][-1]
    assert isinstance(analysis, Finished), analysis
    assert [r.label in ("positive", "neutral", "negative") for r in analysis.result.rows] == [True, True]


def test_writing_tools_ask_before_sending_to_a_remote_model(qtbot, make_window, llama_server, app_home):
    from PySide6.QtWidgets import QMessageBox

    from tests.conftest import set_settings
    from tests.gui_helpers import WAIT_MS, answer_message_box

    set_settings(app_home, default_model="lab")
    window = make_window()
    window.core.remote_models.add("lab", llama_server, "starter", n_ctx=1024)
    window.start_loading()
    qtbot.waitUntil(lambda: window.model_ready, timeout=WAIT_MS)
    workspace = window.open_workspace()
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
