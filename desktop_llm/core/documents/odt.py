"""OpenDocument text (.odt, LibreOffice's own format) written from blocks with
odfpy: headings, paragraphs, nested lists, tables, quotes and preformatted
code, with bold, italic, links and inline code. (Reading, and translating in
place, is odt_source's.)"""

from __future__ import annotations

import io

from desktop_llm.core.documents.model import Document

QUOTE_STYLE = "Quotations"


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
