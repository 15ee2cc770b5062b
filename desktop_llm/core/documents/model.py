"""The document model every format is read into and written from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

KINDS = ("heading", "paragraph", "list_item", "code", "quote", "table_cell", "image_text")
# image_text: an image's description (alt text): translated in its own file, left out when the
# document is written in another format (it belongs to an image that format does not carry)


@dataclass(frozen=True)
class Span:
    """A run of text with its inline formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False  # inline code: never translated
    link: str | None = None  # the URL: never translated
    mark: str = ""  # an image, note mark, line break or tag in the text: kept where it is, never translated
    strike: bool = False  # struck through


@dataclass(frozen=True)
class Block:
    kind: str
    spans: tuple[Span, ...] = ()
    level: int = 0  # heading level (1-6) or list depth (1 = top)
    ordered: bool = False  # a numbered list item
    language: str = ""  # of a code block
    cell: tuple[int, int, int] | None = None  # table, row, column of a table cell
    page: int | None = None  # the PDF page it is on, from 1

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    def with_text(self, text: str) -> "Block":
        return replace(self, spans=(Span(text),))


class Source(Protocol):
    """The file a document was read from, able to write itself again with its
    blocks' words changed and everything else as it was."""

    def render(self, blocks: list[Block]) -> bytes: ...


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    format: str = "txt"
    source: Source | None = None  # set by readers that can write back in place

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks if b.text.strip())

    def tables(self) -> dict[int, list[list[Block]]]:
        """Each table's cells as rows (for writers and checks); a cell of several
        paragraphs is one block, its paragraphs on lines of their own."""
        tables: dict[int, dict[int, dict[int, Block]]] = {}
        for b in self.blocks:
            if b.kind == "table_cell" and b.cell is not None:
                t, r, c = b.cell
                cells = tables.setdefault(t, {}).setdefault(r, {})
                cells[c] = replace(cells[c], spans=cells[c].spans + (Span("\n"),) + b.spans) if c in cells else b
        return {t: [[cells[c] for c in sorted(cells)] for _, cells in sorted(rows.items())]
                for t, rows in tables.items()}
