"""A keyring backend that keeps secrets in a JSON file, for tests that need
a keyring in another process (PYTHON_KEYRING_BACKEND=tests.file_keyring.FileKeyring,
TEST_KEYRING_FILE=<path>): the real keyring library, a store the test can see."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    @staticmethod
    def _file() -> Path:
        return Path(os.environ["TEST_KEYRING_FILE"])

    def _load(self) -> dict:
        try:
            return json.loads(self._file().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        self._file().write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service, username):
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._file().write_text(json.dumps(data), encoding="utf-8")
