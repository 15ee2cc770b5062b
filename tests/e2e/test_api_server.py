"""The OpenAI-compatible server, driven by the official `openai` client and
raw HTTP, over the real starter model."""

import json
import threading
import time

import httpx
import openai
import pytest

from desktop_llm.core.errors import UserError
from desktop_llm.core.host import JobKind
from desktop_llm.core.server.runner import ApiServer
from tests.conftest import free_port

KEY = "sk-local-test"


def serve_process(home, *args: str, env: dict | None = None):
    """`desktop-llm serve` in its own process; returns it, its base URL and port once it answers."""
    import os
    import subprocess
    import sys

    from desktop_llm.core.paths import HOME_ENV

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "desktop_llm", "serve", "--port", str(port), *args],
                            env=dict(os.environ, **{HOME_ENV: str(home)}, **(env or {})),
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/models", timeout=2)
            return proc, url, port
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not start")


@pytest.fixture
def api(core):
    server = ApiServer(core, "127.0.0.1", free_port(), api_key=KEY)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(api):
    return openai.OpenAI(base_url=api.url, api_key=KEY, max_retries=0, timeout=120)


def test_models_lists_the_installed_models(client, starter):
    ids = [m.id for m in client.models.list().data]
    assert starter.name in ids


def test_chat_completion(client, starter):
    reply = client.chat.completions.create(
        model=starter.name, messages=[{"role": "user", "content": "Say hello."}], max_tokens=12, seed=7)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert 0 < reply.usage.completion_tokens <= 12 and reply.usage.prompt_tokens > 0
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-")


def test_chat_completion_streams(client):
    stream = client.chat.completions.create(
        model="default", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        max_tokens=16, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text and len(chunks) > 3
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_a_fast_reply_streams_in_groups_of_tokens_with_the_same_text(client, monkeypatch):
    from desktop_llm.core.server import stream

    monkeypatch.setattr(stream, "STREAM_INTERVAL_S", 0.25)  # longer than a few tokens take on any machine
    ask = {"model": "default", "messages": [{"role": "user", "content": "Write about tea."}], "max_tokens": 48,
           "seed": 3, "temperature": 0}
    whole = client.chat.completions.create(**ask).choices[0].message.content
    chunks = list(client.chat.completions.create(**ask, stream=True, stream_options={"include_usage": True}))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    tokens = chunks[-1].usage.completion_tokens
    assert "".join(pieces) == whole
    assert tokens > 8 and 1 < len(pieces) < tokens  # groups of tokens, still more than one piece
    assert chunks[-2].choices[0].finish_reason in ("stop", "length")


def test_text_completion_and_stop_sequence(client):
    reply = client.completions.create(model="default", prompt="1, 2, 3, 4,", max_tokens=24, temperature=0,
                                      stop=[" 7"])
    assert reply.choices[0].text and " 7" not in reply.choices[0].text


def test_wrong_or_missing_key_is_401(api):
    bad = openai.OpenAI(base_url=api.url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    r = httpx.post(f"{api.url}/chat/completions", json={"model": "default", "messages": []})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError, match="does not exist here"):
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])


def test_a_prompt_longer_than_the_context_is_400_context_length_exceeded(api, client, core):
    """As OpenAI answers it: the SDK raises BadRequestError at once (no retries of a 5xx),
    and code that trims history on this error can run."""
    long_prompt = " ".join(f"word{i}" for i in range(3000))  # well past the test context of 1,024 tokens
    calls = []
    seen = openai.OpenAI(base_url=api.url, api_key=KEY, max_retries=2, timeout=120,
                         http_client=httpx.Client(event_hooks={"request": [calls.append]}))
    with pytest.raises(openai.BadRequestError) as caught:
        seen.chat.completions.create(model="default", messages=[{"role": "user", "content": long_prompt}],
                                     max_tokens=8)
    assert caught.value.status_code == 400 and caught.value.code == "context_length_exceeded"
    assert "too long for the model's context" in caught.value.message
    assert len(calls) == 1  # a 400 is final: the client did not try again
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="default", prompt=long_prompt, max_tokens=8)
    assert caught.value.code == "context_length_exceeded"
    reply = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "Hi"}],
                                           max_tokens=4)
    assert reply.choices[0].message.content is not None  # the server goes on serving


@pytest.mark.parametrize("body,expected", [
    (b"{not json", "not valid JSON"),
    (json.dumps({"model": "default", "messages": [{"role": "wizard", "content": "x"}]}), "role must be one of"),
    (json.dumps({"model": "default", "messages": [{"role": "user", "content": "x"}], "max_tokens": -5}),
     "'max_tokens' must be a positive whole number"),
    (json.dumps({"model": "default", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}),
     "'temperature' must be a number"),
    (json.dumps({"model": "default", "messages": "hello"}), "'messages' must be a non-empty list"),
    (json.dumps([1, 2]), "must be a JSON object"),
    (json.dumps({"model": "default", "messages": [{"role": "user", "content": "x" * (5 << 20)}]}), "larger than"),
])
def test_bad_requests_are_400_with_a_message(api, body, expected):
    r = httpx.post(f"{api.url}/chat/completions", content=body, timeout=60,
                   headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    assert r.status_code == 400
    assert expected in r.json()["error"]["message"]
    assert httpx.get(f"{api.url}/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200  # alive


def test_embeddings(client):
    result = client.embeddings.create(model="default", input=["green tea", "black tea", "a bicycle"])
    vectors = [d.embedding for d in result.data]
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1 and len(vectors[0]) > 100
    assert result.usage.prompt_tokens > 0
    with pytest.raises(openai.BadRequestError, match="'input' must be"):
        client.embeddings.create(model="default", input=[])


def test_a_client_that_disconnects_stops_the_generation(api, core):
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model": "default", "messages": [{"role": "user", "content": "Write a very long story."}],
            "max_tokens": 900, "stream": True, "temperature": 1.0}
    with httpx.stream("POST", f"{api.url}/chat/completions", json=body, headers=headers, timeout=60) as r:
        lines = r.iter_lines()
        got = [next(lines) for _ in range(6)]
    assert any(line.startswith("data: ") for line in got)
    deadline = time.monotonic() + 15
    while core.host.current_kind and time.monotonic() < deadline:
        time.sleep(0.05)
    assert core.host.current_kind == JobKind.NONE  # 900 tokens would take far longer: it was stopped


def test_an_abandoned_request_that_does_not_stream_is_cancelled(api, core):
    """The client waits for a whole answer, then gives up after a second: the model must stop
    too, not keep every later request waiting. The prompt alone takes seconds to read."""
    prompt = "tea " * 800  # 800 tokens: over 3 s of reading here
    body = {"model": "default", "messages": [{"role": "user", "content": prompt}], "max_tokens": 150}
    with pytest.raises(httpx.TimeoutException):
        httpx.post(f"{api.url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"},
                   timeout=1.0)
    gone = time.monotonic()
    while core.host.current_kind and time.monotonic() - gone < 10:
        time.sleep(0.05)
    assert core.host.current_kind == JobKind.NONE and time.monotonic() - gone < 2.5


def test_concurrent_requests_are_queued_and_all_answered(client):
    answers, errors = [], []

    def ask(i):
        try:
            reply = client.chat.completions.create(
                model="default", messages=[{"role": "user", "content": f"Count to {i}."}], max_tokens=8)
            answers.append(reply.choices[0].message.content)
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(answers) == 4


def test_non_loopback_needs_a_key(core):
    with pytest.raises(UserError, match="set an API key"):
        ApiServer(core, "0.0.0.0", free_port())


def test_port_in_use_is_explained(core, api):
    with pytest.raises(UserError, match=f"Port {api.port} on 127.0.0.1 is in use"):
        ApiServer(core, "127.0.0.1", api.port).start()


def test_serve_command_serves_until_interrupted(app_home):
    import os
    import signal
    import subprocess
    import sys

    from desktop_llm.core.paths import HOME_ENV

    proc, url, _ = serve_process(app_home, "--api-key", KEY)
    try:
        r = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 200 and r.json()["data"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and url in err and "API key required" in err
    refused = subprocess.run([sys.executable, "-m", "desktop_llm", "serve", "--host", "0.0.0.0"],
                             env=dict(os.environ, **{HOME_ENV: str(app_home)}), capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 1 and "set an API key" in refused.stderr


def test_serve_requires_the_api_key_set_in_settings(app_home, tmp_path):
    """The key the window's Settings keep in the keyring protects `desktop-llm serve` too."""
    import os
    import signal
    from pathlib import Path

    from desktop_llm.core.secrets import SERVICE
    from desktop_llm.core.server.runner import API_KEY_ACCOUNT

    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({f"{SERVICE}/{API_KEY_ACCOUNT}": "sk-from-settings"}), encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    proc, url, _ = serve_process(app_home, env={
        "TEST_KEYRING_FILE": str(store), "PYTHON_KEYRING_BACKEND": "tests.file_keyring.FileKeyring",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))})
    try:
        assert httpx.get(f"{url}/models").status_code == 401
        assert httpx.get(f"{url}/models", headers={"Authorization": "Bearer sk-from-settings"}).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "API key required" in err


def test_web_pages_and_other_host_names_are_refused(api, core):
    """A page from another origin cannot use the server, not even with a 'simple' text/plain POST
    (no preflight); a request addressed to another name (DNS rebinding) is refused; bodies are JSON."""
    url = f"{api.url}/chat/completions"
    auth = {"Authorization": f"Bearer {KEY}"}
    body = json.dumps({"model": "default", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
    evil = httpx.post(url, content=body, headers={**auth, "Origin": "http://evil.example",
                                                  "Content-Type": "text/plain"})
    assert evil.status_code == 403 and evil.json()["error"]["code"] == "origin_not_allowed"
    assert "--cors" in evil.json()["error"]["message"]
    rebound = httpx.get(f"{api.url}/models", headers={**auth, "Host": f"evil.example:{api.port}"})
    assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "host_not_allowed"
    plain = httpx.post(url, content=body, headers={**auth, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    named = httpx.get(f"http://localhost:{api.port}/v1/models", headers=auth)
    assert named.status_code == 200
    assert core.history.list_conversations() == []  # and nothing ran


def test_an_allowed_origin_may_use_the_server(core):
    server = ApiServer(core, "127.0.0.1", free_port(), cors_origins=("http://app.example",),
                       allowed_hosts=("desktop.lan",))
    server.start()
    try:
        url = f"{server.url}/models"
        allowed = httpx.get(url, headers={"Origin": "http://app.example"})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://app.example"
        assert httpx.get(url, headers={"Origin": "http://other.example"}).status_code == 403
        assert httpx.get(url, headers={"Host": f"desktop.lan:{server.port}"}).status_code == 200
    finally:
        server.stop()


def test_a_client_that_hangs_up_mid_body_does_not_kill_serve(app_home):
    """A >64 KB body, the client gone after a second: the server must live on (no SIGPIPE death)."""
    import signal
    import socket

    proc, url, port = serve_process(app_home)
    try:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as s:
                head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        "Content-Type: application/json\r\nContent-Length: 400000\r\n\r\n")
                s.sendall(head.encode() + b'{"model": "default", "messages": [' + b" " * (96 << 10))
                time.sleep(1.0)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
        time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert httpx.get(url + "/models").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_cheap_requests_cannot_hold_the_model(api, core, client):
    """A body of many messages (under the size limit) is refused before it reaches the model,
    as are too many messages, JSON nested too deep and text that is not Unicode."""
    auth = {"Authorization": f"Bearer {KEY}"}
    url = f"{api.url}/chat/completions"
    many = {"model": "default", "max_tokens": 4,
            "messages": [{"role": "user", "content": f"message {i} about tea"} for i in range(3000)]}
    started = time.monotonic()
    r = httpx.post(url, json=many, headers=auth, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"
    assert time.monotonic() - started < 10 and core.host.current_kind == JobKind.NONE
    r = httpx.post(url, json={**many, "messages": many["messages"] * 2}, headers=auth, timeout=60)
    assert r.status_code == 400 and "Too many messages" in r.json()["error"]["message"]
    deep = b'{"model": "default", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = httpx.post(url, content=deep, headers={**auth, "Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 400 and "nests too deeply" in r.json()["error"]["message"]
    lone = b'{"model": "default", "messages": [{"role": "user", "content": "tea \\ud800"}]}'
    r = httpx.post(url, content=lone, headers={**auth, "Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 400 and "not valid Unicode" in r.json()["error"]["message"]
    assert client.models.list().data  # and the server goes on


def test_one_client_cannot_queue_more_than_a_few_requests(api, client):
    from desktop_llm.core.server.limits import MAX_QUEUED_PER_CLIENT

    body = {"model": "default", "messages": [{"role": "user", "content": "Tell me a long story."}],
            "max_tokens": 60}
    answers: list = []

    def ask():
        answers.append(httpx.post(f"{api.url}/chat/completions", json=body, timeout=120,
                                  headers={"Authorization": f"Bearer {KEY}"}))

    threads = [threading.Thread(target=ask) for _ in range(MAX_QUEUED_PER_CLIENT + 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) >= MAX_QUEUED_PER_CLIENT and 429 in codes
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["retry-after"] == "2" and "waiting for the model" in refused.json()["error"]["message"]
    assert client.chat.completions.create(model="default", messages=[{"role": "user", "content": "hi"}],
                                          max_tokens=2).choices  # the count went back down


def test_ctrl_c_stops_serve_at_once_while_it_answers(app_home):
    """A long reply is being written (streamed, or not): Ctrl+C ends the server within seconds,
    cleanly (exit 0, no traceback), instead of waiting for the reply."""
    import signal

    for stream in (True, False):
        proc, url, _ = serve_process(app_home)
        body = {"model": "default", "messages": [{"role": "user", "content": "Write a very long story."}],
                "max_tokens": 900, "stream": stream, "temperature": 1.0}
        asking = threading.Thread(target=httpx.post, args=(url + "/chat/completions",),
                                  kwargs={"json": body, "timeout": 60}, daemon=True)
        asking.start()
        time.sleep(2.0)  # the reply is under way
        stopped = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and time.monotonic() - stopped < 10, err  # it was 30-60 s
        assert "Traceback" not in err and "The API server stopped." in err


def test_structured_output_with_the_openai_client(client):
    """response_format is followed (the grammar guarantees the shape, even from a small model):
    .parse() with a Pydantic model, json_object, streamed too; a schema that cannot be followed is a 400."""
    from typing import Literal

    from pydantic import BaseModel

    class Verdict(BaseModel):
        liked: bool
        stars: int
        mood: Literal["happy", "sad"]

    messages = [{"role": "user", "content": "The tea was lovely. Rate it."}]
    parsed = client.chat.completions.parse(model="default", messages=messages, response_format=Verdict,
                                           max_tokens=60, temperature=0)
    verdict = parsed.choices[0].message.parsed
    assert isinstance(verdict, Verdict) and verdict.mood in ("happy", "sad")
    loose = client.chat.completions.create(model="default", messages=messages, max_tokens=300,
                                           response_format={"type": "json_object"}, temperature=0)
    choice = loose.choices[0]  # any object: a small model may go on until the tokens run out
    assert choice.message.content.lstrip().startswith("{")
    assert choice.finish_reason == "length" or isinstance(json.loads(choice.message.content), dict)
    streamed = client.chat.completions.create(model="default", messages=messages, max_tokens=60, stream=True,
                                              response_format={"type": "json_schema", "json_schema": {
                                                  "name": "verdict", "schema": Verdict.model_json_schema()}})
    Verdict.model_validate_json("".join(c.choices[0].delta.content or "" for c in streamed if c.choices))
    with pytest.raises(openai.BadRequestError, match="response_format"):
        client.chat.completions.create(model="default", messages=messages,
                                       response_format={"type": "xml"})


def test_usage_in_a_stream_one_choice_base64_vectors_and_the_real_model_id(client, starter):
    import base64
    import struct

    chunks = list(client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "Hi"}], max_tokens=8, stream=True,
        stream_options={"include_usage": True}))
    assert all(c.model == starter.name for c in chunks)  # not the alias asked for
    last = chunks[-1]
    assert last.choices == [] and last.usage.completion_tokens > 0 and last.usage.prompt_tokens > 0
    with pytest.raises(openai.BadRequestError, match="'n' must be 1"):
        client.chat.completions.create(model="default", messages=[{"role": "user", "content": "Hi"}], n=2)
    floats = client.embeddings.create(model="default", input="tea", encoding_format="float")
    packed = client.embeddings.with_raw_response.create(model="default", input="tea", encoding_format="base64")
    raw = json.loads(packed.text)["data"][0]["embedding"]
    decoded = struct.unpack(f"<{len(floats.data[0].embedding)}f", base64.b64decode(raw))
    assert decoded == pytest.approx(floats.data[0].embedding, rel=1e-5)
    assert floats.model == starter.name
    assert client.models.retrieve("default").id == starter.name
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_penalties_change_the_reply_and_images_are_refused(client):
    ask = {"model": "default", "messages": [{"role": "user", "content": "Say tea tea tea tea tea tea tea tea."}],
           "max_tokens": 30, "temperature": 0, "seed": 3}
    plain = client.chat.completions.create(**ask).choices[0].message.content
    penalised = client.chat.completions.create(**ask, frequency_penalty=2.0, presence_penalty=2.0)
    assert penalised.choices[0].message.content != plain  # applied, not only accepted
    with pytest.raises(openai.BadRequestError, match="'presence_penalty' must be a number from -2 to 2"):
        client.chat.completions.create(**{**ask, "presence_penalty": 5})
    picture = [{"type": "text", "text": "What is in this picture?"},
               {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
    with pytest.raises(openai.BadRequestError, match="cannot see images"):
        client.chat.completions.create(model="default", messages=[{"role": "user", "content": picture}])


def test_completions_echo_the_prompt_and_refuse_a_suffix(client):
    echoed = client.completions.create(model="default", prompt="Green tea is", max_tokens=6, echo=True, seed=1)
    plain = client.completions.create(model="default", prompt="Green tea is", max_tokens=6, seed=1)
    assert echoed.choices[0].text == "Green tea is" + plain.choices[0].text
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model="default", prompt="Green tea is", max_tokens=6, echo=True, seed=1, stream=True) if c.choices)
    assert streamed.startswith("Green tea is")
    with pytest.raises(openai.BadRequestError, match="fill-in-the-middle"):
        client.completions.create(model="default", prompt="def add(a, b):", suffix="\n", max_tokens=6)


def test_model_aliases_from_the_settings(app_home, starter):
    """Tools that hard-code OpenAI's model names reach the local model through aliases."""
    from desktop_llm.core.app import AppCore
    from tests.conftest import set_settings

    set_settings(app_home, api_model_aliases={"gpt-4o-mini": "default", "text-embedding-3-small": starter.name})
    core = AppCore()
    server = ApiServer(core, "127.0.0.1", free_port())
    server.start()
    try:
        aliased = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=120)
        reply = aliased.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                                max_tokens=4)
        assert reply.model == starter.name and reply.choices[0].message.content is not None
        vectors = aliased.embeddings.create(model="text-embedding-3-small", input="tea")
        assert vectors.model == starter.name and len(vectors.data[0].embedding) > 8
        with pytest.raises(openai.NotFoundError):
            aliased.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    finally:
        server.stop()
        core.close()
