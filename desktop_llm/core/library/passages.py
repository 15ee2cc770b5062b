"""A passage where it stands in its file: the text before and after it, so a
reader can check a citation against what surrounds it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from desktop_llm.core.errors import UserError
from desktop_llm.core.library.indexer import read_any

AROUND = 1500  # characters shown before and after the passage
ENDS = 10  # words that find the passage's beginning and its end


@dataclass(frozen=True)
class InContext:
    before: str
    passage: str
    after: str
    found: bool  # False: the file changed since it was indexed; the passage is shown as it was


def in_context(file: str, passage: str, around: int = AROUND) -> InContext:
    path = Path(file)
    if not path.is_file():
        raise UserError(f"{path.name} is no longer in {path.parent}.",
                        "It was moved or deleted after it was indexed; index its library again.")
    text = read_any(path).text
    span = _locate(text, passage)
    if span is None:
        return InContext("", passage, "", False)
    start, end = span
    return InContext(text[max(0, start - around):start], text[start:end], text[end:end + around], True)


def _locate(text: str, passage: str) -> tuple[int, int] | None:
    """Where the passage lies in the document's text, found by its first and last words (the passage's
    line breaks and list bullets are not the document's)."""
    words = [w for w in passage.replace("•", " ").split() if w]
    if not words:
        return None
    head = re.search(_pattern(words[:ENDS]), text)
    if head is None:
        return None
    tail = re.search(_pattern(words[-ENDS:]), text[head.start():])
    end = head.start() + tail.end() if tail is not None else head.end()
    return head.start(), max(end, head.end())


def _pattern(words: list[str]) -> str:
    return r"[\s•]+".join(re.escape(w) for w in words)
