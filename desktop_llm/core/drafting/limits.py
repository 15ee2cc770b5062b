"""Length limits the app enforces on what the model wrote."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?…](?:[\"')\]]*)(?=\s|$)")


def cut_to_length(text: str, max_chars: int) -> str:
    """The longest start of `text` within `max_chars` that ends a sentence
    (else a whole word, marked with an ellipsis)."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.end() for m in SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= max_chars // 3:
        return head[: ends[-1]].strip()
    space = head.rfind(" ")
    cut = (head[:space] if space > 0 else head[: max_chars - 1]).rstrip(" ,;:-")
    return cut + "…" if len(cut) < max_chars else cut
