"""Make sure a model file is safe to load in the app's own process.

A file is inspected (GGUF header) first. A file the app has never loaded is
then loaded once in a child process: if llama.cpp crashes on it, only the
child dies and the user gets a message. Files that passed are remembered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from desktop_llm.core.errors import ModelFileError
from desktop_llm.core.files import atomic_write_text, read_json
from desktop_llm.core.models import LocalModel
from desktop_llm.core.models.gguf import ModelInfo, ModelInfoCache, file_identity
from desktop_llm.core.paths import AppPaths
from desktop_llm.core.trial_load import TEMPLATE_FAILED

TRIAL_TIMEOUT_S = 300


class ModelGuard:
    def __init__(self, paths: AppPaths):
        self.paths = paths
        self.info_cache = ModelInfoCache(paths.data_dir / "model-info-cache.json")
        self._lock = threading.Lock()

    def _trusted(self) -> set[str]:
        return set(read_json(self.paths.trusted_models_file, list))

    def _trust(self, key: str) -> None:
        with self._lock:
            keys = self._trusted() | {key}
            atomic_write_text(self.paths.trusted_models_file, json.dumps(sorted(keys)))

    def check(self, model: LocalModel) -> ModelInfo:
        """Inspect, then trial-load in a child process unless known good."""
        info = self.info_cache.inspect(model.path)
        if model.bundled:
            return info
        key = file_identity(model.path)
        if key not in self._trusted():
            trial_load(model.path)
            self._trust(key)
        return info


def trial_load(path: Path, timeout: float = TRIAL_TIMEOUT_S) -> None:
    """Load the model in a child process; raise ModelFileError if that fails."""
    env = dict(os.environ)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "desktop_llm.core.trial_load", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise ModelFileError(
            f"Loading {Path(path).name} took more than {timeout:.0f} s in a test run; "
            "the file may be too large for this computer.",
        ) from exc
    tail = (proc.stderr or "").strip().splitlines()[-5:]
    if proc.returncode == TEMPLATE_FAILED:
        raise ModelFileError(
            f"{Path(path).name} loads, but its chat template cannot format a conversation "
            f"({tail[-1] if tail else 'an error in the template'}), so it could not answer. Choose another "
            "conversion of the model.", detail="\n".join(tail))
    if proc.returncode != 0:
        raise ModelFileError(
            f"{Path(path).name} could not be loaded by llama.cpp (test load exited with code "
            f"{proc.returncode}). The file may be damaged or made for a newer version; "
            "download it again or choose another model.",
            detail="\n".join(tail),
        )
