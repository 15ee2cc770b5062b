"""OpenDocument text (.odt, LibreOffice's own format) read and written with
odfpy: headings, paragraphs, nested lists, tables, quotes and preformatted
code, with bold, italic, links and inline code."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_llm.core.documents.archive import check_archive
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.spans import clean_spans
from desktop_llm.core.errors import UserError

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
XLINK = "http://www.w3.org/1999/xlink"
CODE_STYLES = ("Preformatted_20_Text", "Source_20_Text")  # LibreOffice's names for code
QUOTE_STYLE = "Quotations"
MONO = ("courier", "consolas", "mono")


# -- reading ------------------------------------------------------------------------------
def read_odt(path: Path) -> Document:
    from odf.opendocument import load

    check_archive(path, "an OpenDocument text (.odt)")
    try:
        document = load(str(path))
    except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors: all mean "not a usable .odt"
        raise UserError(f"{path.name} is damaged or not an OpenDocument text (.odt). Open and save it again in "
                        "LibreOffice.", detail=repr(exc)) from exc
    reader = _Reader(document)
    reader.walk(document.text)
    return Document(reader.blocks)


class _Reader:
    def __init__(self, document):
        self.styles: dict[str, Any] = {}  # odfpy elements
        for container in (document.styles, document.automaticstyles):
            for element in container.childNodes:
                name = _attr(element, STYLE, "name")
                if name:
                    self.styles[name] = element
        self.blocks: list[Block] = []
        self.lists: list[bool] = []  # ordered?, per open list
        self.list_styles: list[str] = []
        self.tables = -1
        self._joining_code = False  # the last block is code that the next code line continues

    def walk(self, element) -> None:
        for child in element.childNodes:
            q = getattr(child, "qname", None)
            if q == (TEXT, "h"):
                level = int(_attr(child, TEXT, "outline-level") or 1)
                self._add(Block("heading", self.spans(child), level=level))
            elif q == (TEXT, "p"):
                self._paragraph(child)
            elif q == (TEXT, "list"):
                style = _attr(child, TEXT, "style-name") or (self.list_styles[-1] if self.list_styles else "")
                self.list_styles.append(style)
                self.lists.append(self._ordered(style, len(self.lists) + 1))
                self.walk(child)
                self.lists.pop()
                self.list_styles.pop()
            elif q == (TABLE, "table"):
                self._table(child)
            elif q is not None and q[1] not in ("note", "tracked-changes", "table-of-content"):
                self.walk(child)  # list items, sections, frames...

    def _paragraph(self, element) -> None:
        chain = self._chain(_attr(element, TEXT, "style-name"))
        spans = self.spans(element)
        if any(name in CODE_STYLES for name in chain) or (spans and all(s.code for s in spans)):
            text = "".join(s.text for s in spans)
            last = self.blocks[-1] if self.blocks else None
            if last is not None and last.kind == "code" and self._joining_code:
                joined = Span(last.text + "\n" + text, code=True)  # one block, not one per line
                self.blocks[-1] = Block("code", (joined,))
            else:
                self.blocks.append(Block("code", (Span(text, code=True),)))
            self._joining_code = True
            return
        if self.lists:
            self._add(Block("list_item", spans, level=len(self.lists), ordered=self.lists[-1]))
        elif QUOTE_STYLE in chain:
            self._add(Block("quote", spans))
        else:
            self._add(Block("paragraph", spans))

    def _add(self, block: Block) -> None:
        self._joining_code = False
        if block.text.strip():
            self.blocks.append(replace(block, spans=clean_spans(list(block.spans))))

    def _table(self, element) -> None:
        self.tables += 1
        rows = [r for r in _descendants(element, (TABLE, "table-row"))]
        for r, row in enumerate(rows):
            cells = [c for c in row.childNodes if getattr(c, "qname", None) == (TABLE, "table-cell")]
            for c, cell in enumerate(cells):
                spans: list[Span] = []
                for paragraph in _descendants(cell, (TEXT, "p")):
                    if spans:
                        spans.append(Span(" "))
                    spans += self.spans(paragraph)
                self.blocks.append(Block("table_cell", clean_spans(spans), cell=(self.tables, r, c)))
        self._joining_code = False

    def spans(self, element, bold=False, italic=False, code=False, link=None) -> tuple[Span, ...]:
        out: list[Span] = []
        for child in element.childNodes:
            q = getattr(child, "qname", None)
            if q is None:  # a text node
                if child.data:
                    out.append(Span(child.data, bold, italic, code, link))
            elif q == (TEXT, "span"):
                b, i, c = self._text_style(_attr(child, TEXT, "style-name"))
                out += self.spans(child, bold or b, italic or i, code or c, link)
            elif q == (TEXT, "a"):
                out += self.spans(child, bold, italic, code, _attr(child, XLINK, "href") or link)
            elif q == (TEXT, "s"):
                out.append(Span(" " * int(_attr(child, TEXT, "c") or 1), bold, italic, code, link))
            elif q == (TEXT, "tab"):
                out.append(Span("\t", bold, italic, code, link))
            elif q == (TEXT, "line-break"):
                out.append(Span("\n", bold, italic, code, link))
            elif q[1] not in ("note", "bookmark", "bookmark-start", "bookmark-end", "soft-page-break"):
                out += self.spans(child, bold, italic, code, link)
        return _merged(out)

    def _chain(self, name: str) -> list[str]:
        """A style's name and its parents' names."""
        names = []
        while name and name not in names:
            names.append(name)
            style = self.styles.get(name)
            name = _attr(style, STYLE, "parent-style-name") if style is not None else ""
        return names

    def _text_style(self, name: str) -> tuple[bool, bool, bool]:
        bold = italic = code = False
        for style_name in self._chain(name):
            if style_name in CODE_STYLES:
                code = True
            for props in self.styles[style_name].childNodes if style_name in self.styles else ():
                if getattr(props, "qname", None) == (STYLE, "text-properties"):
                    bold |= _attr(props, FO, "font-weight") == "bold"
                    italic |= _attr(props, FO, "font-style") == "italic"
                    font = (_attr(props, STYLE, "font-name") + _attr(props, FO, "font-family")).lower()
                    code |= any(m in font for m in MONO)
        return bold, italic, code

    def _ordered(self, list_style: str, level: int) -> bool:
        style = self.styles.get(list_style)
        for child in style.childNodes if style is not None else ():
            qname = getattr(child, "qname", None)
            if qname and qname[0] == TEXT and _attr(child, TEXT, "level") == str(level):
                return qname[1] == "list-level-style-number"
        return False


def _attr(element, namespace: str, name: str) -> str:
    attributes = getattr(element, "attributes", None) or {}
    return attributes.get((namespace, name), "")


def _descendants(element, qname):
    for child in element.childNodes:
        if getattr(child, "qname", None) == qname:
            yield child
        elif getattr(child, "qname", None) is not None:
            yield from _descendants(child, qname)


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    """Neighbouring runs with the same formatting as one span."""
    out: list[Span] = []
    for s in spans:
        if out and (out[-1].bold, out[-1].italic, out[-1].code, out[-1].link) == (s.bold, s.italic, s.code, s.link):
            out[-1] = Span(out[-1].text + s.text, s.bold, s.italic, s.code, s.link)
        else:
            out.append(s)
    return tuple(out)


# -- writing ------------------------------------------------------------------------------
def to_odt(doc: Document, grouped) -> bytes:
    """`grouped`: the document's blocks with each table's cells as one item (writers._grouped)."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, ListLevelStyleBullet, ListLevelStyleNumber, ListStyle, P

    document = OpenDocumentText()
    styles = {}
    for name, props in (("Bold", {"fontweight": "bold"}), ("Italic", {"fontstyle": "italic"}),
                        ("BoldItalic", {"fontweight": "bold", "fontstyle": "italic"})):
        styles[name] = Style(name=name, family="text")
        styles[name].addElement(TextProperties(**props))
        document.automaticstyles.addElement(styles[name])
    code = Style(name="Code", family="paragraph", parentstylename="Preformatted_20_Text")
    code.addElement(TextProperties(fontfamily="'Courier New'"))
    document.automaticstyles.addElement(code)
    document.automaticstyles.addElement(Style(name="Quote", family="paragraph", parentstylename=QUOTE_STYLE))
    inline_code = Style(name="InlineCode", family="text", parentstylename="Source_20_Text")
    inline_code.addElement(TextProperties(fontfamily="'Courier New'"))
    document.automaticstyles.addElement(inline_code)
    for name, level_style in (("Bullets", ListLevelStyleBullet), ("Numbers", ListLevelStyleNumber)):
        list_style = ListStyle(name=name)
        for level in range(1, 11):
            if level_style is ListLevelStyleBullet:
                list_style.addElement(ListLevelStyleBullet(level=level, bulletchar="•"))
            else:
                list_style.addElement(ListLevelStyleNumber(level=level, numformat="1", numsuffix="."))
        document.automaticstyles.addElement(list_style)

    def inline(element, spans) -> None:
        from odf.teletype import addTextToElement  # spaces, tabs and line breaks as ODF wants them
        from odf.text import A
        from odf.text import Span as OdtSpan

        for s in spans:
            target = element
            if s.link:
                target = A(href=s.link, type="simple")
                element.addElement(target)
            style = "InlineCode" if s.code else {(True, False): "Bold", (False, True): "Italic",
                                                  (True, True): "BoldItalic"}.get((s.bold, s.italic))
            if style:
                styled = OdtSpan(stylename=style)
                target.addElement(styled)
                target = styled
            addTextToElement(target, s.text)

    open_lists: list = []  # (text:list element, ordered?) of each depth
    for kind, item in grouped:
        if kind == "block" and item.kind == "list_item":
            depth = max(1, item.level)
            del open_lists[depth:]
            if len(open_lists) == depth and open_lists[-1][1] != item.ordered:
                open_lists.pop()  # bullets then numbers at one depth: two lists
            while len(open_lists) < depth:
                new = List(stylename="Numbers" if item.ordered else "Bullets")
                if open_lists:  # a nested list lives in the item above it
                    parent = open_lists[-1][0]
                    if parent.lastChild is None:
                        parent.addElement(ListItem())
                    parent.lastChild.addElement(new)
                else:
                    document.text.addElement(new)
                open_lists.append((new, item.ordered))
            list_item = ListItem()
            paragraph = P()
            inline(paragraph, item.spans)
            list_item.addElement(paragraph)
            open_lists[-1][0].addElement(list_item)
            continue
        open_lists = []
        if kind == "table":
            table = Table()
            table.addElement(TableColumn(numbercolumnsrepeated=max(len(r) for r in item)))
            for row in item:
                table_row = TableRow()
                for cell in row:
                    table_cell = TableCell(valuetype="string")
                    paragraph = P()
                    inline(paragraph, cell.spans)
                    table_cell.addElement(paragraph)
                    table_row.addElement(table_cell)
                table.addElement(table_row)
            document.text.addElement(table)
        elif item.kind == "heading":
            heading = H(outlinelevel=max(1, min(item.level, 10)))
            inline(heading, item.spans)
            document.text.addElement(heading)
        elif item.kind == "code":
            from odf.teletype import addTextToElement

            for line in item.text.split("\n"):
                paragraph = P(stylename="Code")
                addTextToElement(paragraph, line)
                document.text.addElement(paragraph)
        else:
            paragraph = P(stylename="Quote") if item.kind == "quote" else P()
            inline(paragraph, item.spans)
            document.text.addElement(paragraph)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()
