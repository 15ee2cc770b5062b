"""The user's Hugging Face token, for gated and private models.

Kept in the operating system's keyring (never in the settings file). Where
no keyring is available the token lives in memory for this session only,
and the caller is told so. HF_TOKEN in the environment wins over both.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

SERVICE = "desktop-llm"
ACCOUNT = "huggingface-token"
_session_token: str | None = None


def get_token() -> str | None:
    env = os.environ.get("HF_TOKEN", "").strip()
    if env:
        return env
    try:
        import keyring

        stored = keyring.get_password(SERVICE, ACCOUNT)
    except Exception as exc:  # no keyring backend, locked keyring...
        log.info("keyring unavailable: %s", exc)
        stored = None
    return stored or _session_token


def set_token(token: str | None) -> bool:
    """Store (or, with None, forget) the token; False when it could only be
    kept for this session because no keyring is available."""
    global _session_token
    token = (token or "").strip() or None
    _session_token = token
    try:
        import keyring

        if token:
            keyring.set_password(SERVICE, ACCOUNT, token)
        else:
            try:
                keyring.delete_password(SERVICE, ACCOUNT)
            except keyring.errors.PasswordDeleteError:
                pass
        return True
    except Exception as exc:
        log.info("keyring unavailable: %s", exc)
        return False
