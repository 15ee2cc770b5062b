"""Chunks cut from a document's blocks, not from raw characters: each keeps the
heading path above it and its PDF page; blocks are kept whole where they fit
(a table row, a code block, a paragraph), a block too long is cut between
sentences, and a short last block is repeated at the start of the next chunk
so a passage that straddles the cut is found from either side."""

from __future__ import annotations

from desktop_llm.core.documents.chunking import split_text
from desktop_llm.core.documents.model import Block, Document
from desktop_llm.core.library.store import Chunk

CHUNK_WORDS = 160  # about 200 tokens: a passage a reader takes in at a glance
OVERLAP_WORDS = 40  # a last block this short starts the next chunk too


def _words(text: str) -> int:
    return len(text.split())


def chunk_document(doc: Document) -> list[Chunk]:
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []  # (level, text) of the open headings
    parts: list[str] = []
    page: int | None = None

    def path() -> str:
        return " › ".join(text for _, text in headings)

    def flush(keep_last: bool) -> None:
        nonlocal parts
        if parts:
            chunks.append(Chunk("\n".join(parts), path(), page))
            last = parts[-1]
            parts = [last] if keep_last and _words(last) <= OVERLAP_WORDS and len(parts) > 1 else []

    for block in doc.blocks:
        text = _text(block)
        if not text:
            continue
        if block.kind == "heading":
            flush(keep_last=False)
            headings = [(lvl, t) for lvl, t in headings if lvl < block.level] + [(block.level, text)]
            continue
        if block.page is not None and block.page != page:
            flush(keep_last=False)
            page = block.page
        for piece in split_text(text, _words, CHUNK_WORDS) if _words(text) > CHUNK_WORDS else [text]:
            if parts and _words("\n".join(parts)) + _words(piece) > CHUNK_WORDS:
                flush(keep_last=True)
            parts.append(piece)
    flush(keep_last=False)
    if not chunks and headings:  # a document of headings only
        chunks.append(Chunk(path(), path(), page))
    return chunks


def _text(block: Block) -> str:
    text = block.text.strip()
    if block.kind == "list_item":
        return "• " + text
    return text
