"""PDFs read into paragraphs, headings and list items from their layout.

A PDF has no paragraphs, only text placed on pages. pypdf hands over each
piece of text with its position and size; pieces on one baseline make a
line, and a line starts a new block when the gap above it is wider than the
text's own line spacing, when its size changes, when it starts a list item
("•", "1."), or on a new page or column. Lines clearly larger than the body
text are headings (the largest size is level 1). A page whose layout reading
finds far fewer words than pypdf's plain extraction is read plainly instead:
nothing on a page is lost to the layout.
"""

from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.errors import UserError

QUIET = logging.NullHandler()  # one handler, added once however often PDFs are read
ITEM = re.compile(r"^\s*(?:[•◦▪‣●○■□–\-*]|\(?\d{1,3}[.)]|[a-z][.)])\s+")
PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}\s*$", re.I)
NUMBERED = re.compile(r"^\s*\(?\d{1,3}[.)]")
HEADING_SIZE = 1.15  # times the body text's size (LibreOffice's Heading 3 is 1.17)
GAP = 1.45  # times the usual line spacing: a wider gap starts a new paragraph
WORDS_KEPT = 0.8  # the layout reading must find this share of the plain reading's words


@dataclass
class _Line:
    y: float
    size: float
    text: str
    page: int


def read_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf's notes (repaired files, fonts it cannot fully parse) go to the app's log, not the terminal.
    logging.getLogger("pypdf").addHandler(QUIET)
    try:
        reader = PdfReader(str(path))
        # A PDF locked with an empty password opens in any viewer without asking: so here too.
        if reader.is_encrypted and not reader.decrypt(""):
            raise UserError(f"{path.name} is password-protected. Save an unprotected copy and try again.")
        lines: list[_Line] = []
        for number, page in enumerate(reader.pages):
            lines += _page_lines(page, number)
    except UserError:
        raise
    except (PdfReadError, ValueError, OSError, KeyError) as exc:
        raise UserError(f"{path.name} is damaged or not a PDF.", detail=repr(exc)) from exc
    if not any(line.text.strip() for line in lines):
        raise UserError(f"{path.name} has no text layer (it is scanned images). Run it through OCR first.")
    return Document(_blocks(lines), "pdf")


def _page_lines(page, number: int) -> list[_Line]:
    chunks: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, _font, size) -> None:
        if text:
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = (abs(tm[3] * cm[3]) + abs(tm[0] * cm[0])) / 2 or 1.0
            chunks.append((y, (size or 0) * scale, text))

    plain = page.extract_text(visitor_text=visit) or ""
    lines: list[_Line] = []
    for y, size, text in chunks:
        for k, piece in enumerate(text.split("\n")):
            same_line = lines and k == 0 and abs(y - lines[-1].y) <= max(2.0, 0.5 * size)
            if not same_line:
                if lines and not lines[-1].text.strip():
                    lines[-1].y, lines[-1].size = y, size
                else:
                    lines.append(_Line(y, size, "", number))
            lines[-1].text += piece
            if piece.strip():
                lines[-1].size = max(lines[-1].size, size)
    lines = [line for line in lines if line.text.strip()]
    while lines and PAGE_NUMBER.match(lines[-1].text):  # a page number at the foot is not text
        lines.pop()
    if len(" ".join(line.text for line in lines).split()) < WORDS_KEPT * len(plain.split()):
        # the layout reading lost words: the page's plain text, a paragraph per blank-line gap
        return [_Line(0.0, 0.0, p, number) for p in re.split(r"\n\s*\n", plain) if p.strip()]
    return lines


def _blocks(lines: list[_Line]) -> list[Block]:
    sized = [line.size for line in lines if line.size > 0 for _ in line.text.split()]
    body = statistics.median(sized) if sized else 0.0
    heading_sizes = sorted({round(line.size) for line in lines if _heading_like(line, body)}, reverse=True)
    pitches = sorted(a.y - b.y for a, b in zip(lines, lines[1:]) if a.page == b.page and 0 < a.y - b.y < 3 * a.size)
    pitch = pitches[len(pitches) // 4] if pitches else 0.0  # the usual spacing inside a paragraph
    blocks: list[tuple[str, int, bool, list[str], int]] = []  # kind, level, ordered, lines, page
    previous: _Line | None = None
    for line in lines:
        text = " ".join(line.text.split())
        heading = _heading_like(line, body) and round(line.size) in heading_sizes
        item = bool(ITEM.match(text))
        new = (previous is None or line.page != previous.page or item or heading
               or not pitch or not 0 < previous.y - line.y <= GAP * pitch
               or abs(line.size - previous.size) > 0.15 * max(line.size, 1)
               or blocks[-1][0] == "heading")
        if new:
            if heading:
                blocks.append(("heading", heading_sizes.index(round(line.size)) + 1, False, [text], line.page))
            elif item:
                blocks.append(("list_item", 1, bool(NUMBERED.match(text)), [ITEM.sub("", text)], line.page))
            else:
                blocks.append(("paragraph", 0, False, [text], line.page))
        else:
            blocks[-1][3].append(text)
        previous = line
    return [Block(kind, (Span(_joined(parts)),), level=min(level, 6), ordered=ordered, page=page + 1)
            for kind, level, ordered, parts, page in blocks if _joined(parts)]


def _heading_like(line: _Line, body: float) -> bool:
    """Larger than the body text, short, and with words (not a page number)."""
    return (bool(body) and line.size >= HEADING_SIZE * body and len(line.text.split()) <= 15
            and any(ch.isalpha() for ch in line.text))


def _joined(lines: list[str]) -> str:
    """A block's lines as one text; a word broken with a hyphen at a line's end is mended."""
    out = ""
    for line in lines:
        if out.endswith("-") and line[:1].islower() and out[-2:-1].isalpha():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out.strip()
