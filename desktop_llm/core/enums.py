"""The base of the app's enums: members are their text values, so they
compare equal (and hash alike) to the strings stored in SQLite and JSON,
and print as such."""

from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value
