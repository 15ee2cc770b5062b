"""Shared fixtures: the real starter model, isolated app homes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine  # noqa: E402
from desktop_llm.core.gguf_info import ModelInfoCache  # noqa: E402
from desktop_llm.core.models import bundled_starter  # noqa: E402
from desktop_llm.core.paths import HOME_ENV  # noqa: E402

TEST_N_CTX = 1024
TEST_SETTINGS = {"n_ctx": TEST_N_CTX, "max_tokens": 48, "temperature": 0.7}


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
    return home


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


@pytest.fixture
def make_window(qtbot, app_home):
    """Main windows on the test home; closed (and their cores) after the test."""
    from PySide6.QtWidgets import QApplication

    from desktop_llm.core.app import AppCore
    from desktop_llm.gui.main_window import MainWindow

    made = []

    def make():
        core = AppCore()
        window = MainWindow(core)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()  # shortcuts need the active window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        made.append((window, core))
        return window

    yield make
    for window, core in made:
        window.close()
        core.close()
