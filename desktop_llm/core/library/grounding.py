"""Answers grounded in passages from the user's libraries: the passages are
numbered into the system message (as many as fit the token budget), the model
is asked to answer from them with [n] citations and to say so when they do not
hold the answer, and afterwards a citation to a passage that does not exist is
removed from the reply. A request for a summary of one whole file ("Summarize
this document") is not a search: it goes to the summarizer with the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from desktop_llm.core.library.search import Hit

CITATION = re.compile(r"\[(\d{1,3})\]")
SUMMARY_ASK = re.compile(r"\b(summari[sz]e|summary|sum (it |this |that )?up|tl;? ?dr|overview|gist)\b", re.I)
SUMMARY_STYLES = (  # the first that matches the question picks the summarizer's style
    (re.compile(r"tl;? ?dr|one sentence|two sentences|brief|short", re.I), "tldr"),
    (re.compile(r"key ?points|action items|to-?dos?", re.I), "keypoints"),
    (re.compile(r"paragraph|prose", re.I), "paragraph"),
)
SHARE_OF_CONTEXT = 0.5  # the passages take at most this share of the model's context
INSTRUCTIONS = (
    "Answer from the numbered sources below. Cite the sources you use as [1], [2] right after the "
    "words they support. If the sources do not hold the answer, say that they do not, and do not "
    "make one up.")


@dataclass(frozen=True)
class Source:
    n: int
    file: str
    page: int | None
    heading: str
    text: str

    def as_dict(self) -> dict:
        return {"n": self.n, "file": self.file, "page": self.page, "heading": self.heading, "text": self.text}

    def label(self) -> str:
        return Path(self.file).name + (f", page {self.page}" if self.page else "") + (
            f", {self.heading}" if self.heading else "")


@dataclass(frozen=True)
class WholeDocument:
    """A question about one whole file of a library ("Summarize this document"): answered from all of
    the file by the summarizer, not from the passages a search finds."""

    path: str
    style: str = "bullets"

    def source(self, words: int) -> Source:
        return Source(1, self.path, None, "", f"The whole document ({words:,} words), summarized.")


def whole_document_asked(question: str, files: list[str]) -> WholeDocument | None:
    """The file a question asks to summarize: the one it names, or the only file in the libraries in
    use (a document dropped into the conversation); None when it asks something else."""
    if not SUMMARY_ASK.search(question):
        return None
    asked = question.lower()
    named = [f for f in files if any(name in asked for name in _names(Path(f)))]
    chosen = named[0] if len(named) == 1 else files[0] if len(files) == 1 and not named else None
    if chosen is None:
        return None
    style = next((style for pattern, style in SUMMARY_STYLES if pattern.search(question)), "bullets")
    return WholeDocument(chosen, style)


def _names(path: Path) -> set[str]:
    """How a question may name a file: with or without its extension, with spaces for _ and -."""
    stem = path.stem.lower()
    names = {path.name.lower(), stem, re.sub(r"[_\-]+", " ", stem)}
    return {name for name in names if len(name) >= 4}


def sources_from(hits: list[Hit]) -> list[Source]:
    return [Source(n, h.file, h.page, h.heading, h.text) for n, h in enumerate(hits, 1)]


def fitted(sources: list[Source], count: Callable[[str], int], n_ctx: int) -> list[Source]:
    """The best sources whose text fits their share of the context (the rest left out, last first)."""
    budget = int(n_ctx * SHARE_OF_CONTEXT)
    kept, used = [], 0
    for source in sources:
        cost = count(_passage(source)) + 4
        if used + cost > budget:
            break
        kept.append(source)
        used += cost
    return kept


def _passage(source: Source) -> str:
    return f"[{source.n}] ({source.label()})\n{source.text}"


def grounded_system(system_prompt: str, sources: list[Source]) -> str:
    passages = "\n\n".join(_passage(s) for s in sources) if sources else "(No passage was found.)"
    head = f"{system_prompt}\n\n" if system_prompt.strip() else ""
    return f"{head}{INSTRUCTIONS}\n\nSources:\n\n{passages}"


def checked_citations(text: str, sources: list[Source]) -> str:
    """The reply without citations of sources that do not exist."""
    numbers = {s.n for s in sources}
    return CITATION.sub(lambda m: m.group(0) if int(m.group(1)) in numbers else "", text)
