"""What a document is made of, counted, so a translation can be checked against its
source: a heading, list item, table cell, image, link, note or code block that did
not make it into the written file is reported, never silently lost."""

from __future__ import annotations

from pathlib import Path

from desktop_llm.core.documents.model import Document
from desktop_llm.core.documents.readers import read_document

KINDS = ("headings", "list items", "table cells", "quotes", "code blocks", "inline code", "links", "images", "notes")
BLOCK_KINDS = {"heading": "headings", "list_item": "list items", "quote": "quotes", "code": "code blocks"}
MARK_KINDS = {"image": "images", "note": "notes"}


def structure(doc: Document) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    cells = set()
    for block in doc.blocks:
        if block.kind == "table_cell" and block.text.strip():
            cells.add(block.cell)
        elif block.kind in BLOCK_KINDS:
            counts[BLOCK_KINDS[block.kind]] += 1
        previous_link = None
        for span in block.spans:
            if span.link and span.link != previous_link:
                counts["links"] += 1
            previous_link = span.link
            if span.code and block.kind != "code":
                counts["inline code"] += 1
            kind = MARK_KINDS.get(span.mark.split(":")[0]) if span.mark else None
            if kind:
                counts[kind] += 1
    counts["table cells"] = len(cells)
    return counts


def compared(before: Document, after_file: Path) -> dict[str, tuple[int, int]]:
    """Each kind's count in the source and in the written file (read back from disk)."""
    after = structure(read_document(after_file))
    return {kind: (count, after[kind]) for kind, count in structure(before).items() if count or after[kind]}


def losses(counts: dict[str, tuple[int, int]]) -> list[str]:
    """"2 of 3 images" for each kind the output has fewer of."""
    return [f"{out} of {source} {kind}" for kind, (source, out) in counts.items() if out < source]
