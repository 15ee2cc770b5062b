"""Word documents read from their XML, and written back by changing only the words.

Every paragraph is read — in the body, tables (nested too), text boxes, content
controls, smart tags, tracked insertions, headers, footers, footnotes and
endnotes — with its list numbering (Word's `w:numPr`), its style (headings,
quotes, code) and its runs' formatting, links (hyperlinks and HYPERLINK fields)
and marks (images, note references, tabs, breaks). A translation is written by
putting the new words into the paragraphs' own `w:t` elements: numbering,
images, fields, bookmarks, comments, styles and every other part of the file
are copied as they were.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from desktop_llm.core.documents.archive import check_archive
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.refill import Piece, anchor_of, refill
from desktop_llm.core.documents.spans import merged_spans
from desktop_llm.core.errors import UserError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
PART_ORDER = ("document", "header", "footer", "footnotes", "endnotes")
MARKS = {"drawing": "image", "pict": "image", "object": "object", "footnoteReference": "note",
         "endnoteReference": "note", "tab": "tab", "br": "break", "sym": "symbol", "ptab": "tab"}
MARK_TEXT = {"tab": "\t", "break": "\n"}  # what a reader sees of a mark
SKIPPED = {f"{{{W}}}{name}" for name in ("del", "moveFrom")} | {f"{{{MC}}}Fallback"}
MONOSPACE = ("courier", "consolas", "mono", "menlo", "lucida console")
CODE_STYLES = ("code", "verbatim", "preformatted", "macro")
HYPERLINK_FIELD = re.compile(r'^\s*HYPERLINK\s+(?:"([^"]*)"|(\S+))(?:.*?\\l\s+"([^"]*)")?', re.S)


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def _on(props, name: str) -> bool:
    """A toggle property (w:b, w:i, w:strike) is on unless its value says off."""
    el = props.find(w(name)) if props is not None else None
    return el is not None and el.get(w("val"), "true").lower() not in ("false", "0", "off", "none")


@dataclass
class _Styles:
    names: dict[str, str] = field(default_factory=dict)  # style id -> lower-case name
    numbered: dict[str, tuple[str, str]] = field(default_factory=dict)  # paragraph style id -> (numId, ilvl)
    outline: dict[str, int] = field(default_factory=dict)  # style id -> heading level
    formats: dict[tuple[str, str], str] = field(default_factory=dict)  # (numId, ilvl) -> numFmt
    based: dict[str, str] = field(default_factory=dict)  # style id -> the style it is based on

    def name(self, style_id: str | None) -> str:
        """The style's name, and those it is based on ("my heading|heading 2"): a style made
        from a heading or a quote is one too."""
        names, seen = [], set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            names.append(self.names.get(style_id, style_id.lower()))
            style_id = self.based.get(style_id, "")
        return "|".join(names)

    def inherited(self, table: dict, style_id: str):
        seen = set()
        while style_id and style_id not in seen and style_id not in table:
            seen.add(style_id)
            style_id = self.based.get(style_id, "")
        return table.get(style_id)


def _styles(archive: zipfile.ZipFile) -> _Styles:
    styles = _Styles()
    if "word/styles.xml" in archive.namelist():
        root = etree.fromstring(archive.read("word/styles.xml"))
        for style in root.iter(w("style")):
            sid = style.get(w("styleId"), "")
            name = style.find(w("name"))
            styles.names[sid] = (name.get(w("val"), sid) if name is not None else sid).lower()
            based = style.find(w("basedOn"))
            if based is not None:
                styles.based[sid] = based.get(w("val"), "")
            num = style.find(f"{w('pPr')}/{w('numPr')}")
            if num is not None and num.find(w("numId")) is not None:
                level = num.find(w("ilvl"))
                digits = re.search(r"(\d)$", styles.names[sid])  # "List Bullet 2": the second level
                styles.numbered[sid] = (num.find(w("numId")).get(w("val"), "0"),
                                        level.get(w("val"), "0") if level is not None
                                        else str(int(digits.group(1)) - 1) if digits else "0")
            outline = style.find(f"{w('pPr')}/{w('outlineLvl')}")
            if outline is not None and outline.get(w("val"), "9").isdigit() and int(outline.get(w("val"))) < 9:
                styles.outline[sid] = int(outline.get(w("val"))) + 1
    if "word/numbering.xml" in archive.namelist():
        root = etree.fromstring(archive.read("word/numbering.xml"))
        abstract = {a.get(w("abstractNumId")): {lvl.get(w("ilvl")): lvl for lvl in a.iter(w("lvl"))}
                    for a in root.iter(w("abstractNum"))}
        for num in root.iter(w("num")):
            ref = num.find(w("abstractNumId"))
            levels = dict(abstract.get(ref.get(w("val")) if ref is not None else None, {}))
            for override in num.iter(w("lvlOverride")):
                lvl = override.find(w("lvl"))
                if lvl is not None:
                    levels[override.get(w("ilvl"))] = lvl
            for ilvl, lvl in levels.items():
                fmt = lvl.find(w("numFmt"))
                styles.formats[(num.get(w("numId")), ilvl)] = fmt.get(w("val"), "decimal") if fmt is not None else ""
    return styles


def _links(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """A part's relationship ids -> targets (hyperlinks' addresses)."""
    folder, name = part.rsplit("/", 1)
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in archive.namelist():
        return {}
    root = etree.fromstring(archive.read(rels))
    return {rel.get("Id"): rel.get("Target", "") for rel in root.iter(f"{{{PKG_RELS}}}Relationship")}


class _Attribute:
    """An attribute that takes words as a w:t element does (an image's description)."""

    def __init__(self, element, name: str):
        self.element, self.name = element, name

    @property
    def text(self) -> str:
        return self.element.get(self.name, "")

    @text.setter
    def text(self, value: str) -> None:
        self.element.set(self.name, " ".join(value.split()))

    def set(self, _name: str, _value: str) -> None:
        """Attributes keep their spaces as they are."""


@dataclass
class _Paragraph:
    block: Block | None
    pieces: list[tuple[object, Piece | None]]  # (w:t element or None, piece)


class _Reader:
    """Turns one part's paragraphs into blocks and pieces, the same way each time it is read."""

    def __init__(self, styles: _Styles, links: dict[str, str]):
        self.styles, self.links = styles, links
        self.tables = -1

    def paragraphs(self, root) -> list[_Paragraph]:
        out: list[_Paragraph] = []
        cells: dict[object, tuple[int, int, int]] = {}
        for el in root.iter(w("tbl"), w("p")):
            if any(a.tag in SKIPPED for a in el.iterancestors()):
                continue
            if el.tag == w("tbl"):
                self.tables += 1
                rows = [row for row in el.iter(w("tr")) if next(row.iterancestors(w("tbl"))) is el]
                for r, row in enumerate(rows):  # rows and cells may be wrapped in content controls
                    for c, cell in enumerate(x for x in row.iter(w("tc")) if next(x.iterancestors(w("tr"))) is row):
                        cells[cell] = (self.tables, r, c)
                continue
            cell = next((cells[a] for a in el.iterancestors(w("tc")) if a in cells), None)
            out.append(self.paragraph(el, cell))
            out += self._image_texts(el)
        return out

    def _image_texts(self, p) -> list[_Paragraph]:
        """Each picture's description (its alt text, wp:docPr's descr) as a block of its own."""
        out = []
        for run in self._runs(p):
            for props in run.iter(f"{{{WP}}}docPr"):
                text = props.get("descr", "")
                if any(ch.isalpha() for ch in text):
                    out.append(_Paragraph(Block("image_text", (Span(text),)),
                                          [(_Attribute(props, "descr"), (False, False, None, False))]))
        return out

    def paragraph(self, p, cell) -> _Paragraph:
        spans: list[Span] = []
        pieces: list[tuple[object, Piece | None]] = []
        fields: list[list] = []  # open complex fields: [instruction, in result?]
        for run in self._runs(p):
            link = self._link_of(run, fields)
            props = run.find(w("rPr"))
            code = self._is_code(props)
            bold, italic, strike = _on(props, "b"), _on(props, "i"), _on(props, "strike") or _on(props, "dstrike")
            for child in run:
                tag = etree.QName(child).localname
                if tag == "fldChar":
                    kind = child.get(w("fldCharType"))
                    if kind == "begin":
                        fields.append(["", False])
                    elif kind == "separate" and fields:
                        fields[-1][1] = True
                    elif kind == "end" and fields:
                        fields.pop()
                elif tag == "instrText" and fields:
                    fields[-1][0] += child.text or ""
                elif fields and not fields[-1][1]:
                    continue  # inside a field's instruction: never text
                elif tag == "t" and child.text:
                    span = Span(child.text, bold, italic, code, link, strike=strike)
                    spans.append(span)
                    pieces.append((child, anchor_of(span) if code else (bold, italic, link, strike)))
                elif tag in MARKS:
                    span = Span(MARK_TEXT.get(MARKS[tag], ""), mark=f"{MARKS[tag]}:{len(pieces)}")
                    spans.append(span)
                    pieces.append((None, anchor_of(span)))
        merged = merged_spans(spans)
        if not "".join(s.text for s in merged).strip():
            return _Paragraph(None, pieces)
        return _Paragraph(self._block(p, tuple(merged), cell), pieces)

    @staticmethod
    def _runs(p):
        """The paragraph's runs, in order, through links, fields, content controls, smart tags and
        insertions; not deleted text, and not the runs of a text box's own paragraphs."""
        for run in p.iter(w("r")):
            owner = next(run.iterancestors(w("p")), None)
            if owner is p and not any(a.tag in SKIPPED for a in run.iterancestors() if a is not p):
                yield run

    def _link_of(self, run, fields) -> str | None:
        for a in run.iterancestors():
            if a.tag == w("hyperlink"):
                rid, anchor = a.get(f"{{{R}}}id"), a.get(w("anchor"))
                target = self.links.get(rid, "") if rid else ""
                return target + (f"#{anchor}" if anchor else "") or None
            if a.tag == w("fldSimple"):
                return _field_link(a.get(w("instr"), ""))
            if a.tag == w("p"):
                break
        for instruction, in_result in reversed(fields):
            if in_result:
                return _field_link(instruction)
        return None

    def _is_code(self, props) -> bool:
        if props is None:
            return False
        style = props.find(w("rStyle"))
        if style is not None and any(c in self.styles.name(style.get(w("val"))) for c in CODE_STYLES):
            return True
        fonts = props.find(w("rFonts"))
        font = (fonts.get(w("ascii")) or fonts.get(w("hAnsi")) or "") if fonts is not None else ""
        return any(m in font.lower() for m in MONOSPACE)

    def _block(self, p, spans: tuple[Span, ...], cell) -> Block:
        props = p.find(w("pPr"))
        style_el = props.find(w("pStyle")) if props is not None else None
        style_id = style_el.get(w("val")) if style_el is not None else ""
        name = self.styles.name(style_id)
        if cell is not None:
            return Block("table_cell", spans, cell=cell)
        heading = re.search(r"(?:^|\|)heading (\d)", name)
        outline = props.find(w("outlineLvl")) if props is not None else None
        styled = self.styles.inherited(self.styles.outline, style_id)
        if heading or name.split("|")[0] == "title" or styled or outline is not None:
            level = (int(heading.group(1)) if heading else styled
                     or (int(outline.get(w("val"), "0")) + 1 if outline is not None else 1))
            if level <= 9:
                return Block("heading", spans, level=min(level, 6))
        if any(c in name for c in CODE_STYLES) or all(s.code or s.mark for s in spans):
            return Block("code", (Span("".join(s.text for s in spans), code=True),))
        num = props.find(w("numPr")) if props is not None else None
        numbered = None
        if num is not None and num.find(w("numId")) is not None:
            level = num.find(w("ilvl"))
            numbered = (num.find(w("numId")).get(w("val"), "0"), level.get(w("val"), "0") if level is not None else "0")
        else:
            numbered = self.styles.inherited(self.styles.numbered, style_id)
        if numbered is not None and numbered[0] != "0":
            fmt = self.styles.formats.get(numbered, "bullet")
            return Block("list_item", spans, level=int(numbered[1]) + 1 if numbered[1].isdigit() else 1,
                         ordered=fmt not in ("bullet", "none", ""))
        if name.startswith("list"):
            return Block("list_item", spans, level=1, ordered="number" in name.split("|")[0])
        if "quote" in name or "block text" in name:
            return Block("quote", spans)
        return Block("paragraph", spans)


def _field_link(instruction: str) -> str | None:
    m = HYPERLINK_FIELD.match(instruction)
    if not m:
        return None
    address = m.group(1) or m.group(2) or ""
    return address + (f"#{m.group(3)}" if m.group(3) else "") or None


def _parts(archive: zipfile.ZipFile) -> list[str]:
    names = [n for n in archive.namelist() if PARTS.match(n)]
    return sorted(names, key=lambda n: (PART_ORDER.index(re.sub(r"\d+$", "", n[5:-4])), n))


@dataclass
class DocxSource:
    """The .docx a document was read from, able to take new words."""

    data: bytes
    where: list[tuple[str, int]]  # each block's part and paragraph number there
    blocks: list[Block]  # as read: a block that comes back the same is not touched

    def render(self, blocks: list[Block]) -> bytes:
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            styles = _styles(archive)
            changed: dict[str, dict[int, Block]] = {}
            for (part, number), old, new in zip(self.where, self.blocks, blocks):
                if new != old:
                    changed.setdefault(part, {})[number] = new
            parts = {}
            reader = _Reader(styles, {})
            for part in _parts(archive):
                root = etree.fromstring(archive.read(part))
                reader.links = _links(archive, part)
                paragraphs = reader.paragraphs(root)
                if part not in changed:
                    continue
                for number, block in changed[part].items():
                    pieces = paragraphs[number].pieces
                    texts = refill([piece for _, piece in pieces if piece is not None], block.spans)
                    _put(pieces, texts)
                parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
                for item in archive.infolist():
                    copy.writestr(item, parts.get(item.filename) or archive.read(item.filename))
        return out.getvalue()


def _put(pieces, texts: list[str]) -> None:
    """Each text piece's w:t takes its new words (empty when they went to another piece)."""
    new = iter(texts)
    for element, piece in pieces:
        if piece is None:
            continue
        text = next(new)
        if element is not None and isinstance(piece, tuple):
            element.text = text
            element.set(XML_SPACE, "preserve")


def read_docx(path: Path) -> Document:
    check_archive(path, "a Word document (.docx)")
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise KeyError("word/document.xml")
            styles = _styles(archive)
            reader = _Reader(styles, {})
            blocks: list[Block] = []
            where: list[tuple[str, int]] = []
            for part in _parts(archive):
                reader.links = _links(archive, part)
                for number, paragraph in enumerate(reader.paragraphs(etree.fromstring(archive.read(part)))):
                    if paragraph.block is not None:
                        blocks.append(paragraph.block)
                        where.append((part, number))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise UserError(f"{path.name} is damaged or not a Word document (.docx). Open and save it again in "
                        "Word or LibreOffice.", detail=repr(exc)) from exc
    return Document(blocks, "docx", DocxSource(data, where, list(blocks)))
