"""Errors meant for the person using the app.

A UserError carries a message that says what happened and what to do next;
front ends show it as is (a dialog, a chat notice, one line on stderr) and
never a traceback. Its kind travels with it through the model host, so the
API can answer a request it cannot honour with 400 and only real faults
with 500.
"""

from __future__ import annotations

from desktop_llm.core.enums import TextEnum


class ErrorKind(TextEnum):
    """Why a request failed; the API maps each to a status and a code."""

    USER = "invalid_request"  # the request cannot be honoured as given
    CONTEXT_LENGTH = "context_length_exceeded"  # the prompt does not fit the model's context
    NOT_FOUND = "not_found"  # something named does not exist
    MODEL_FILE = "model_file"  # a model file that cannot be used
    CANCELLED = "cancelled"  # stopped by the user or a client that left
    RESOURCES = "resources"  # out of memory or disk
    INTERNAL = "internal"  # a fault of the app itself


class UserError(Exception):
    """A failure the user can understand and act on."""

    kind = ErrorKind.USER

    def __init__(self, message: str, detail: str = "", kind: ErrorKind | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return self.message


class ModelFileError(UserError):
    """A model file that cannot be used (missing, not GGUF, truncated...)."""

    kind = ErrorKind.MODEL_FILE


class NotFound(UserError):
    """Something named by the user does not exist (conversation, model...)."""

    kind = ErrorKind.NOT_FOUND


class ContextTooLong(UserError):
    """The prompt is longer than the model's context holds."""

    kind = ErrorKind.CONTEXT_LENGTH


class Cancelled(UserError):
    """The user (or a client that went away) stopped the request."""

    kind = ErrorKind.CANCELLED
