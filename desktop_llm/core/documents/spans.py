"""Inline text as readers collect it: whitespace squeezed as a browser shows
it, neighbouring runs of the same formatting merged."""

from __future__ import annotations

from dataclasses import replace

from desktop_llm.core.documents.model import Span


def clean_spans(spans: list[Span]) -> tuple[Span, ...]:
    """Whitespace as a browser shows it: runs of spaces and newlines become one space."""
    out = [replace(s, text=s.text if s.code or s.mark else _squeeze(s.text)) for s in spans]
    out = [s for s in out if s.text or s.mark]
    while out and not out[0].mark and not out[0].text.strip():
        out.pop(0)
    while out and not out[-1].mark and not out[-1].text.strip():
        out.pop()
    if out and not out[0].mark:
        out[0] = replace(out[0], text=out[0].text.lstrip())
    if out and not out[-1].mark:
        out[-1] = replace(out[-1], text=out[-1].text.rstrip())
    if all(s.mark for s in out):
        return ()  # marks alone (an image, a break) are not text to read or translate
    return tuple(out)


def _squeeze(text: str) -> str:
    words = text.split()
    if not words:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + " ".join(words) + (" " if text[-1].isspace() else "")


def merged_spans(spans: list[Span]) -> list[Span]:
    """Neighbouring runs of the same formatting as one span. Code and marks stay apart: each
    is a placeholder of its own for the model, matched back to its own place in the file."""
    out: list[Span] = []
    for s in spans:
        last = out[-1] if out else None
        if last and not (s.code or s.mark or last.code or last.mark) and (s.bold, s.italic, s.link, s.strike) == (
                last.bold, last.italic, last.link, last.strike):
            out[-1] = replace(last, text=last.text + s.text)
        else:
            out.append(s)
    return out
