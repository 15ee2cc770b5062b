"""Where the app keeps its files.

platformdirs gives the usual per-user folders; DESKTOP_LLM_HOME puts config,
data and history under one folder instead (tests, portable installs).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from desktop_llm import APP_NAME

HOME_ENV = "DESKTOP_LLM_HOME"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path

    @classmethod
    def from_env(cls) -> "AppPaths":
        home = os.environ.get(HOME_ENV)
        if home:
            root = Path(home).expanduser()
            return cls(config_dir=root / "config", data_dir=root / "data")
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        )

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.db"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def imported_models_file(self) -> Path:
        """GGUF files the user imported from elsewhere on disk."""
        return self.data_dir / "imported-models.json"

    @property
    def templates_dir(self) -> Path:
        """The user's own writing templates (TOML), next to the built-in ones."""
        return self.data_dir / "templates"

    @property
    def trusted_models_file(self) -> Path:
        """Model files that passed a trial load in a child process."""
        return self.data_dir / "trusted-models.json"

    def ensure(self) -> "AppPaths":
        for d in (self.config_dir, self.data_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resources_dir() -> Path:
    return REPO_ROOT / "resources"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so a crash leaves either the old or the new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path, kind: type):
    """The JSON value stored in `path` when it is a `kind` (dict, list...);
    an empty `kind()` when the file is missing, unreadable or holds something else."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return kind()
    return data if isinstance(data, kind) else kind()
