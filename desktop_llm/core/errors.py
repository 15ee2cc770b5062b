"""Errors meant for the person using the app.

A UserError carries a message that says what happened and what to do next;
front ends show it as is (a dialog, a chat notice, one line on stderr) and
never a traceback.
"""


class UserError(Exception):
    """A failure the user can understand and act on."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ModelFileError(UserError):
    """A model file that cannot be used (missing, not GGUF, truncated...)."""


class NotFound(UserError):
    """Something named by the user does not exist (conversation, model...)."""
