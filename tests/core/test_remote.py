"""Remote backends against a real llama_cpp.server running the starter model
(and against this app's own API server); servers that are down, slow or
answer garbage."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from desktop_llm.core import remote
from desktop_llm.core.app import AppCore
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Failed, Finished, Token
from desktop_llm.core.server.runner import ApiServer
from tests.conftest import free_port
from tests.core.test_models_hub import run_cli


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


