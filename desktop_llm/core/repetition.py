"""A reply that repeats itself — a small model's way of failing: the same
sentence or line over and over. Found so the app can write it again with a
penalty on repetition, and if that fails too, take out the repeats and say so."""

from __future__ import annotations

import re
from collections import Counter

SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
REPEATS = 3  # a sentence this many times is a loop, not emphasis
SHARE = 0.5  # or: fewer than half the sentences are different
SHORTEST = 4  # sentences in a reply before SHARE is judged
RETRY_PENALTY = 1.3


def _sentences(text: str) -> list[str]:
    out = []
    for piece in SENTENCE.findall(text):
        norm = re.sub(r"[\W_]+", " ", piece.lower()).strip()
        if len(norm) >= 8:  # list markers and stray words are not sentences
            out.append(norm)
    return out


def repetitive(text: str) -> bool:
    sentences = _sentences(text)
    if not sentences:
        return False
    most = Counter(sentences).most_common(1)[0][1]
    return most >= REPEATS or (len(sentences) >= SHORTEST and len(set(sentences)) / len(sentences) < SHARE)


def without_repeats(text: str) -> str:
    """Each sentence once, where it first came; the text's lines kept otherwise."""
    seen: set[str] = set()
    lines = []
    for line in text.splitlines():
        kept = []
        for piece in SENTENCE.findall(line):
            norm = re.sub(r"[\W_]+", " ", piece.lower()).strip()
            if norm and norm in seen:
                continue
            seen.add(norm)
            kept.append(piece)
        joined = "".join(kept).strip()
        if joined or not line.strip():
            lines.append(joined)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
