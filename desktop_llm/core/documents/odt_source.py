"""OpenDocument text read from its XML, and written back by changing only the words.

Every paragraph and heading is read — in the body, lists, tables, sections,
frames and text boxes, notes, headers and footers — with its list level and
numbering, its style (headings, quotes, code, by the style's lineage) and its
spans' formatting, links and marks (notes, images, tabs, breaks, fields). A
translation puts the new words into the text nodes they came from: note
bodies, list styles, images, fields, bookmarks and every other part of the
file are copied as they were.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from desktop_llm.core.documents.archive import check_archive
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.refill import Piece, anchor_of, refill
from desktop_llm.core.documents.spans import clean_spans, merged_spans
from desktop_llm.core.errors import UserError

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
XLINK = "http://www.w3.org/1999/xlink"
PARTS = ("content.xml", "styles.xml")
CODE_STYLES = ("preformatted text", "source text", "source code", "verbatim")
QUOTE_STYLES = ("quotations", "quote", "block text")
MONOSPACE = ("courier", "consolas", "mono", "menlo", "lucida console")
MARKS = {(TEXT, "note"): "note", (DRAW, "frame"): "image", (TEXT, "tab"): "tab",
         (TEXT, "line-break"): "break", (TEXT, "s"): "space"}
MARK_TEXT = {"tab": "\t", "break": "\n", "space": " "}
SKIPPED = {(TEXT, "tracked-changes"), (OFFICE, "annotation"), (TEXT, "deletion")}


def t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


def _q(el) -> tuple[str, str]:
    q = etree.QName(el)
    return (q.namespace or "", q.localname)


@dataclass
class _Styles:
    parent: dict[str, str] = field(default_factory=dict)  # style name -> parent style name
    display: dict[str, str] = field(default_factory=dict)  # style name -> lower-case display name
    text: dict[str, tuple[bool, bool, bool, bool]] = field(default_factory=dict)  # bold, italic, strike, mono
    numbered: dict[tuple[str, int], bool] = field(default_factory=dict)  # (list style, level) -> numbered?

    def lineage(self, name: str) -> list[str]:
        names: list[str] = []
        while name and name not in names:
            names.append(name)
            name = self.parent.get(name, "")
        return names

    def names(self, name: str) -> str:
        return "|".join(self.display.get(n, n.replace("_20_", " ").lower()) for n in self.lineage(name))

    def formatting(self, name: str) -> tuple[bool, bool, bool, bool]:
        out = [False, False, False, False]
        for n in self.lineage(name):
            for i, on in enumerate(self.text.get(n, (False,) * 4)):
                out[i] = out[i] or on
        if any(c in self.names(name) for c in CODE_STYLES):
            out[3] = True
        return out[0], out[1], out[2], out[3]


def _styles(roots) -> _Styles:
    styles = _Styles()
    for root in roots:
        for style in root.iter(f"{{{STYLE}}}style"):
            name = style.get(f"{{{STYLE}}}name", "")
            styles.parent[name] = style.get(f"{{{STYLE}}}parent-style-name", "")
            styles.display[name] = style.get(f"{{{STYLE}}}display-name", name.replace("_20_", " ")).lower()
            props = style.find(f"{{{STYLE}}}text-properties")
            if props is not None:
                font = (props.get(f"{{{STYLE}}}font-name", "") + props.get(f"{{{FO}}}font-family", "")).lower()
                styles.text[name] = (props.get(f"{{{FO}}}font-weight") == "bold",
                                     props.get(f"{{{FO}}}font-style") == "italic",
                                     props.get(f"{{{STYLE}}}text-line-through-style", "none") != "none",
                                     any(m in font for m in MONOSPACE))
        for list_style in root.iter(t("list-style")):
            name = list_style.get(f"{{{STYLE}}}name", "")
            for level in list_style:
                if level.get(t("level"), "").isdigit():
                    styles.numbered[(name, int(level.get(t("level"))))] = (
                        etree.QName(level).localname == "list-level-style-number"
                        and level.get(f"{{{STYLE}}}num-format", "1") != "")
    return styles


@dataclass
class _Paragraph:
    block: Block | None
    pieces: list[tuple[object, str, Piece | None]]  # (element, "text" or "tail", piece)


class _Reader:
    def __init__(self, styles: _Styles):
        self.styles = styles
        self.tables = -1

    def paragraphs(self, root) -> list[_Paragraph]:
        out: list[_Paragraph] = []
        cells: dict[object, tuple[int, int, int]] = {}
        for el in root.iter(t("p"), t("h"), f"{{{TABLE}}}table"):
            if any(_q(a) in SKIPPED for a in el.iterancestors()):
                continue
            if _q(el) == (TABLE, "table"):
                self.tables += 1
                rows = [r for r in el.iter(f"{{{TABLE}}}table-row")
                        if next(r.iterancestors(f"{{{TABLE}}}table")) is el]
                for r, row in enumerate(rows):
                    for c, cell in enumerate(x for x in row if _q(x) == (TABLE, "table-cell")):
                        cells[cell] = (self.tables, r, c)
                continue
            cell = next((cells[a] for a in el.iterancestors(f"{{{TABLE}}}table-cell") if a in cells), None)
            out.append(self.paragraph(el, cell))
            out += _image_texts(el)
        return out

    def paragraph(self, p, cell) -> _Paragraph:
        spans: list[Span] = []
        pieces: list[tuple[object, str, Piece | None]] = []

        def text(owner, where: str, value: str | None, fmt) -> None:
            if value:
                bold, italic, strike, code, link = fmt
                span = Span(value, bold, italic, code, link, strike=strike)
                spans.append(span)
                pieces.append((owner, where, anchor_of(span) if code else (bold, italic, link, strike)))

        def walk(el, fmt) -> None:
            text(el, "text", el.text, fmt)
            for child in el:
                q = _q(child)
                if q in MARKS:
                    kind = MARKS[q]
                    count = int(child.get(t("c"), "1")) if kind == "space" else 1
                    span = Span(MARK_TEXT.get(kind, "") * count, mark=f"{kind}:{len(pieces)}")
                    spans.append(span)
                    pieces.append((None, "", anchor_of(span)))
                elif q == (TEXT, "span"):
                    bold, italic, strike, mono = self.styles.formatting(child.get(t("style-name"), ""))
                    walk(child, (fmt[0] or bold, fmt[1] or italic, fmt[2] or strike, fmt[3] or mono, fmt[4]))
                elif q == (TEXT, "a"):
                    walk(child, fmt[:4] + (child.get(f"{{{XLINK}}}href") or fmt[4],))
                elif q in SKIPPED or q[0] != TEXT or q[1] in ("p", "h", "list"):
                    pass
                elif q[1] in ("bookmark", "bookmark-start", "bookmark-end", "soft-page-break",
                              "reference-mark", "reference-mark-start", "reference-mark-end"):
                    pass
                else:  # fields and other inline elements: their words as they are, kept
                    value = "".join(child.itertext())
                    if value:
                        span = Span(value, code=True)
                        spans.append(span)
                        pieces.append((None, "", anchor_of(span)))
                text(child, "tail", child.tail, fmt)

        style = p.get(t("style-name"), "")
        bold, italic, strike, mono = self.styles.formatting(style)
        walk(p, (bold, italic, strike, mono, None))
        merged = merged_spans(spans)
        if not any(c in self.styles.names(style) for c in CODE_STYLES):
            merged = list(clean_spans(merged))  # spaces and line breaks in the XML count as one space
        if not "".join(s.text for s in merged).strip():
            return _Paragraph(None, pieces)
        return _Paragraph(self._block(p, tuple(merged), cell), pieces)

    def _block(self, p, spans: tuple[Span, ...], cell) -> Block:
        names = self.styles.names(p.get(t("style-name"), ""))
        if cell is not None:
            return Block("table_cell", spans, cell=cell)
        if _q(p) == (TEXT, "h"):
            return Block("heading", spans, level=min(int(p.get(t("outline-level"), "1") or 1), 6))
        if any(c in names for c in CODE_STYLES) or all(s.code or s.mark for s in spans):
            return Block("code", (Span("".join(s.text for s in spans), code=True),))
        lists = [a for a in p.iterancestors(t("list"))]
        if lists and any(_q(a) == (TEXT, "list-item") for a in p.iterancestors()):
            style = next((a.get(t("style-name")) for a in lists if a.get(t("style-name"))), "")
            return Block("list_item", spans, level=len(lists),
                         ordered=self.styles.numbered.get((style, len(lists)), False))
        if any(q in names for q in QUOTE_STYLES):
            return Block("quote", spans)
        return Block("paragraph", spans)


def _image_texts(p) -> list[_Paragraph]:
    """Each frame's title and description (an image's alt text) as a block of its own."""
    out = []
    for frame in p.iter(f"{{{DRAW}}}frame"):
        if next(frame.iterancestors(t("p"), t("h")), None) is not p:
            continue
        for element in frame.findall(f"{{{SVG}}}title") + frame.findall(f"{{{SVG}}}desc"):
            text = element.text or ""
            if any(ch.isalpha() for ch in text):
                out.append(_Paragraph(Block("image_text", (Span(text),)),
                                      [(element, "text", (False, False, None, False))]))
    return out


def _roots(archive: zipfile.ZipFile) -> dict[str, object]:
    return {part: etree.fromstring(archive.read(part)) for part in PARTS if part in archive.namelist()}


@dataclass
class OdtSource:
    """The .odt a document was read from, able to take new words."""

    data: bytes
    where: list[tuple[str, int]]  # each block's part and paragraph number there
    blocks: list[Block]  # as read

    def render(self, blocks: list[Block]) -> bytes:
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            roots = _roots(archive)
            reader = _Reader(_styles(roots.values()))
            changed: dict[str, dict[int, Block]] = {}
            for (part, number), old, new in zip(self.where, self.blocks, blocks):
                if new != old:
                    changed.setdefault(part, {})[number] = new
            parts = {}
            for part, root in roots.items():
                paragraphs = reader.paragraphs(root)
                for number, block in changed.get(part, {}).items():
                    pieces = paragraphs[number].pieces
                    texts = iter(refill([piece for _, _, piece in pieces if piece is not None], block.spans))
                    for owner, where, piece in pieces:
                        if piece is None:
                            continue
                        words = next(texts)
                        if owner is not None and isinstance(piece, tuple):
                            setattr(owner, where, words)
                if part in changed:
                    parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
                for item in archive.infolist():  # the mimetype entry first and stored, as it was
                    copy.writestr(item, parts.get(item.filename) or archive.read(item.filename))
        return out.getvalue()


def read_odt(path: Path) -> Document:
    check_archive(path, "an OpenDocument text (.odt)")
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "content.xml" not in archive.namelist():
                raise KeyError("content.xml")
            roots = _roots(archive)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise UserError(f"{path.name} is damaged or not an OpenDocument text (.odt). Open and save it again in "
                        "LibreOffice.", detail=repr(exc)) from exc
    reader = _Reader(_styles(roots.values()))
    blocks: list[Block] = []
    where: list[tuple[str, int]] = []
    for part, root in roots.items():
        last = -2
        for number, paragraph in enumerate(reader.paragraphs(root)):
            block = paragraph.block
            if block is None:
                continue
            if block.kind == "code" and last == number - 1 and blocks[-1].kind == "code":
                # LibreOffice writes code a line per paragraph: the lines are one block (never changed)
                blocks[-1] = Block("code", (Span(blocks[-1].text + "\n" + block.text, code=True),))
            else:
                blocks.append(block)
                where.append((part, number))
            last = number
    return Document(blocks, "odt", OdtSource(data, where, list(blocks)))
