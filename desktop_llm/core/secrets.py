"""Secrets (API keys, access tokens) in the operating system's keyring,
never in the settings file. Where no keyring is available a secret lives in
memory for this session only, and the caller is told so."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

SERVICE = "desktop-llm"
_session: dict[str, str] = {}


def get_secret(account: str) -> str | None:
    try:
        import keyring

        stored = keyring.get_password(SERVICE, account)
    except Exception as exc:  # no keyring backend, locked keyring...
        log.info("keyring unavailable: %s", exc)
        stored = None
    return stored or _session.get(account)


def set_secret(account: str, value: str | None) -> bool:
    """Store (or, with None, forget) a secret; False when it could only be
    kept for this session because no keyring is available."""
    value = (value or "").strip() or None
    if value:
        _session[account] = value
    else:
        _session.pop(account, None)
    try:
        import keyring

        if value:
            keyring.set_password(SERVICE, account, value)
        else:
            try:
                keyring.delete_password(SERVICE, account)
            except keyring.errors.PasswordDeleteError:
                pass
        return True
    except Exception as exc:
        log.info("keyring unavailable: %s", exc)
        return False
