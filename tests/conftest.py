"""Shared fixtures: the real starter model, isolated app homes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine  # noqa: E402
from desktop_llm.core.models import bundled_starter  # noqa: E402
from desktop_llm.core.models.gguf import ModelInfoCache  # noqa: E402
from desktop_llm.core.paths import HOME_ENV  # noqa: E402

TEST_N_CTX = 1024
TEST_SETTINGS = {"n_ctx": TEST_N_CTX, "max_tokens": 48, "temperature": 0.7,
                 "library_watch_s": 0}  # a test that watches libraries turns it on


@pytest.fixture(autouse=True)
def python_sigpipe_handling():
    """The CLI's main() lets SIGPIPE end the process quietly (`| head`); a test
    that calls it in this process must not leave that behind, or a broken
    connection in a later test would kill the whole run."""
    import signal

    before = signal.getsignal(signal.SIGPIPE)
    yield
    signal.signal(signal.SIGPIPE, before)


@pytest.fixture(autouse=True)
def no_session_secrets():
    """Secrets kept in memory (no keyring in tests) do not leak between tests."""
    from desktop_llm.core import secrets

    secrets._session.clear()
    yield
    secrets._session.clear()


@pytest.fixture(autouse=True)
def empty_clipboard_after():
    """Qt's offscreen platform crashes at exit when the clipboard still holds
    rich (HTML) data; real platforms hand it to the system. Tests leave it empty."""
    yield
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.clipboard().clear()


@pytest.fixture(scope="session")
def starter():
    model = bundled_starter()
    assert model is not None, "starter model missing: run `make setup`"
    return model


@pytest.fixture(scope="session")
def info_cache_file(tmp_path_factory, starter) -> Path:
    """Inspect the starter once per session; homes get a copy of the cache."""
    file = tmp_path_factory.mktemp("info") / "model-info-cache.json"
    ModelInfoCache(file).inspect(starter.path)
    return file


def make_home(root: Path, info_cache_file: Path, settings: dict | None = None) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(info_cache_file, root / "data" / "model-info-cache.json")
    (root / "config" / "settings.json").write_text(json.dumps(settings or TEST_SETTINGS))
    return root


@pytest.fixture
def app_home(tmp_path, info_cache_file, monkeypatch) -> Path:
    home = make_home(tmp_path / "home", info_cache_file)
    monkeypatch.setenv(HOME_ENV, str(home))
    # Keep tests away from the user's Hugging Face cache, token and keyring.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture(scope="session")
def split_starter(starter, tmp_path_factory) -> list[Path]:
    """The starter rewritten as a real two-part split GGUF (what gguf-split makes)."""
    import gguf

    reader = gguf.GGUFReader(starter.path)
    writer = gguf.GGUFWriter(tmp_path_factory.mktemp("split") / "tiny-Q4_1.gguf",
                             reader.fields["general.architecture"].contents(),
                             split_max_tensors=len(reader.tensors) // 2 + 1)
    for field in reader.fields.values():
        if field.name != "general.architecture" and not field.name.startswith("GGUF."):
            kind = field.types[0]
            writer.add_key_value(field.name, field.contents(), kind,
                                 sub_type=field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    parts = sorted(Path(writer.path).parent.glob("tiny-Q4_1-*-of-00002.gguf"))
    assert len(parts) == 2
    return parts


@pytest.fixture(scope="session")
def hub_server(starter, split_starter):
    """A local server speaking the Hub's protocol, serving the real starter GGUF."""
    from tests.hub_server import HubState, LocalHub, ServedFile

    state = HubState()
    gguf = ServedFile(path=starter.path)
    state.add_repo("test-org/SmolLM2-135M-Instruct-GGUF",
                   {starter.path.name: gguf, "README.md": ServedFile(data=b"# card")},
                   downloads=1200, likes=30)
    state.add_repo("test-org/Tiny-Split-GGUF", {p.name: ServedFile(path=p) for p in split_starter},
                   downloads=50, likes=2)
    state.add_repo("test-org/Gated-GGUF", {starter.path.name: gguf}, downloads=700, likes=9, gated=True)
    state.add_repo("test-org/Huge-GGUF", {"huge-Q4_K_M.gguf": ServedFile(data=b"GGUF", declared_size=10**16)},
                   downloads=3, likes=0)
    state.add_repo("test-org/no-models", {"README.md": ServedFile(data=b"none")})
    # A catalog entry's real repo and file name, served with the starter's bytes.
    state.add_repo("bartowski/Qwen2.5-0.5B-Instruct-GGUF", {"Qwen2.5-0.5B-Instruct-Q4_K_M.gguf": gguf},
                   downloads=90_000, likes=400)
    with LocalHub(state) as hub:
        yield hub


@pytest.fixture
def hub(hub_server, app_home, monkeypatch):
    """The local Hub, reset, with HF_ENDPOINT pointing at it."""
    state = hub_server.state
    state.cut_after, state.corrupt, state.rate_limit = None, False, None
    state.requests.clear()
    state.body_bytes_sent = 0
    monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
    return hub_server


@pytest.fixture(scope="session")
def engine(starter):
    eng = LlamaCppEngine(starter.path, n_ctx=TEST_N_CTX)
    eng.load()
    yield eng
    eng.close()


@pytest.fixture
def params():
    return GenerationParams(max_tokens=32, temperature=0.7, seed=1234)


@pytest.fixture
def cancel():
    return threading.Event()


@pytest.fixture
def core(app_home):
    """The app's core on a test home."""
    from desktop_llm.core.app import AppCore

    c = AppCore()
    yield c
    c.close()


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def set_settings(home: Path, **values) -> None:
    """Change settings in a test home before the app reads them."""
    file = home / "config" / "settings.json"
    file.write_text(json.dumps({**json.loads(file.read_text()), **values}))


def run_cli(*args: str, home: Path, input: str | None = None, timeout: float = 120):
    env = dict(os.environ, **{HOME_ENV: str(home)})
    return subprocess.run(
        [sys.executable, "-m", "desktop_llm", *args],
        capture_output=True, text=True, input=input, env=env, timeout=timeout,
    )


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
