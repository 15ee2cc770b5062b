"""Where the app keeps its files.

platformdirs gives the usual per-user folders; DESKTOP_LLM_HOME puts config,
data and history under one folder instead (tests, portable installs).
"""

from __future__ import annotations

import os
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
    def library_db(self) -> Path:
        """The libraries' index: a file of its own, so a huge index never endangers the history."""
        return self.data_dir / "library.db"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def imported_models_file(self) -> Path:
        """GGUF files the user imported from elsewhere on disk."""
        return self.data_dir / "imported-models.json"

    @property
    def state_cache_dir(self) -> Path:
        """Saved model states (a cache: deleting it only makes the next reply read its prompt again)."""
        return self.data_dir / "cache" / "model-states"

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


