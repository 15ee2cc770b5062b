"""Putting a translated paragraph back into the pieces of its source.

A paragraph in a file is a row of pieces: text (with its formatting: bold,
italic, a link), markup that is never touched (tags, runs' properties, link
addresses) and anchors — inline code, images, note marks — that the model saw
as placeholders. A translation comes back as spans with the same marks and
placeholders. Anchors stay where they are in the file; each translated text
goes to the next source piece with the same formatting after the last anchor
passed, so words keep their formatting even when the translation moves them,
and what cannot be matched is added to a neighbouring piece: no word is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from desktop_llm.core.documents.model import Span

Key = tuple[bool, bool, "str | None", bool]  # bold, italic, link, struck through


@dataclass(frozen=True)
class Anchor:
    """A piece the model saw as a placeholder (code, an image, a note mark)."""

    id: str


Piece = Union[Key, Anchor]


def key_of(span: Span) -> Key:
    return (span.bold, span.italic, span.link, span.strike)


def anchor_of(span: Span) -> Anchor | None:
    if span.mark:
        return Anchor(span.mark)
    return Anchor("code:" + span.text) if span.code else None


def refill(pieces: Sequence[Piece], spans: Sequence[Span]) -> list[str]:
    """The new text of each piece (anchors get none), from the translated spans."""
    out = [""] * len(pieces)
    texts = [i for i, p in enumerate(pieces) if not isinstance(p, Anchor)]
    if not texts:
        return out
    cursor, last = 0, None
    for s in spans:
        anchor = anchor_of(s)
        if anchor is not None:
            index = next((i for i in range(cursor, len(pieces)) if pieces[i] == anchor), None)
            if index is not None:
                cursor, last = index + 1, None
            continue
        if not s.text:
            continue
        key = key_of(s)
        if last is not None and pieces[last] == key:
            out[last] += s.text
            continue
        index = next((i for i in texts if i >= cursor and pieces[i] == key), None)
        if index is None and key[2] is not None:  # the link's words, their bold or italic changed
            index = next((i for i in texts if i >= cursor and pieces[i][2] == key[2]), None)  # type: ignore[index]
        if index is None and key[2] is not None:
            # a link the translation moved before words already placed: its words still go in
            # the link (a link with no words would vanish), the order around it is the source's
            index = next((i for i in texts if pieces[i][2] == key[2] and not out[i]), None)  # type: ignore[index]
            if index is not None:
                out[index] += s.text
                continue
        if index is None:
            index = last if last is not None else next((i for i in texts if i >= cursor), texts[-1])
        out[index] += s.text
        last, cursor = index, max(cursor, index + 1)
    return out
