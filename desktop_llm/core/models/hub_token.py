"""The user's Hugging Face token, for gated and private models: kept with
the app's other secrets (the system keyring). HF_TOKEN in the environment wins."""

from __future__ import annotations

import os

from desktop_llm.core.secrets import SERVICE, get_secret, set_secret

ACCOUNT = "huggingface-token"

__all__ = ["ACCOUNT", "SERVICE", "get_token", "set_token"]


def get_token() -> str | None:
    return os.environ.get("HF_TOKEN", "").strip() or get_secret(ACCOUNT)


def set_token(token: str | None) -> bool:
    """False when no keyring is available (the token is kept for this session only)."""
    return set_secret(ACCOUNT, token)
