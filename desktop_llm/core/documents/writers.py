"""Writing a document back as .txt, .md, .html or .docx with its structure:
headings, lists (with depth), tables, quotes, code, links, bold and italic."""

from __future__ import annotations

import html
import io
from pathlib import Path

from desktop_llm.core.documents.formats import WRITABLE, writable_format
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.odt import to_odt
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import save_file


def render(doc: Document, fmt: str) -> bytes:
    if fmt not in WRITABLE:
        raise UserError(f"Documents can be written as {', '.join(WRITABLE)}, not {fmt}.")
    if fmt == "docx":
        return to_docx(doc)
    if fmt == "odt":
        return to_odt(doc, _grouped(doc))
    return {"txt": to_text, "md": to_markdown, "html": to_html}[fmt](doc).encode("utf-8")


def _grouped(doc: Document):
    """Blocks in order, with each table's cells gathered into one item."""
    tables, done = doc.tables(), set()
    for b in doc.blocks:
        if b.kind == "table_cell" and b.cell is not None:
            if b.cell[0] not in done:
                done.add(b.cell[0])
                yield ("table", tables[b.cell[0]])
        elif b.kind != "image_text":
            yield ("block", b)


# -- plain text ------------------------------------------------------------------------
def to_text(doc: Document) -> str:
    """Plain text: a numbered list counts 1, 2, 3 at each level; a list's items sit on adjacent lines."""
    out: list[str] = []
    numbers: list[int] = []  # the last number at each level of the list being written
    for kind, item in _grouped(doc):
        if kind != "block" or item.kind != "list_item":
            numbers = []
            out.append("\n".join("\t".join(c.text for c in row) for row in item) if kind == "table" else item.text)
            continue
        in_list = bool(numbers)
        level = max(1, item.level)
        numbers = (numbers + [0] * level)[:level]
        numbers[-1] += 1
        line = "  " * (level - 1) + (f"{numbers[-1]}. " if item.ordered else "• ") + item.text
        if in_list:
            out[-1] += "\n" + line
        else:
            out.append(line)
    return "\n\n".join(out) + "\n"


# -- Markdown ----------------------------------------------------------------------------
def _md_span(s: Span) -> str:
    if s.code:
        fence = "``" if "`" in s.text else "`"
        text = f"{fence}{s.text}{fence}"
    else:
        text = s.text
        for ch in ("\\", "*", "_", "[", "]", "`"):
            text = text.replace(ch, "\\" + ch)
        if s.bold and text.strip():
            text = f"**{text}**"
        if s.italic and text.strip():
            text = f"*{text}*"
        if s.strike and text.strip():
            text = f"~~{text}~~"
    return f"[{text}]({s.link})" if s.link else text


def escape_line_start(text: str) -> str:
    """Text that starts like a heading, list or quote, escaped so Markdown reads it as words."""
    marker = len(text) - len(text.lstrip("0123456789"))
    if text[:1] in ("#", ">", "-", "+") or (marker and text[marker:marker + 1] in (".", ")")):
        return text[:marker] + "\\" + text[marker:] if marker else "\\" + text
    return text


def _md_inline(spans, escape: bool = True) -> str:
    text = "".join(_md_span(s) for s in spans).replace("\n", "  \n")
    return escape_line_start(text) if escape else text


def to_markdown(doc: Document) -> str:
    out, previous = [], None
    for kind, item in _grouped(doc):
        if kind == "table":
            head, *rows = item
            lines = ["| " + " | ".join(_md_inline(c.spans).replace("|", "\\|") for c in head) + " |",
                     "|" + "|".join(" --- " for _ in head) + "|"]
            lines += ["| " + " | ".join(_md_inline(c.spans).replace("|", "\\|") for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif item.kind == "heading":
            out.append("#" * max(1, min(item.level, 6)) + " " + _md_inline(item.spans))
        elif item.kind == "list_item":
            line = "   " * (item.level - 1) + ("1. " if item.ordered else "- ") + _md_inline(item.spans)
            if previous is not None and previous.kind == "list_item":
                out[-1] += "\n" + line  # one list, not one list per item
                previous = item
                continue
            out.append(line)
        elif item.kind == "code":
            fence = "````" if "```" in item.text else "```"
            out.append(f"{fence}{item.language}\n{item.text}\n{fence}")
        elif item.kind == "quote":
            out.append("> " + _md_inline(item.spans))
        else:
            out.append(_md_inline(item.spans))
        previous = item if kind == "block" else None
    return "\n\n".join(out) + "\n"


# -- HTML -------------------------------------------------------------------------------
def _html_span(s: Span) -> str:
    text = html.escape(s.text).replace("\n", "<br>")
    if s.code:
        text = f"<code>{text}</code>"
    if s.bold:
        text = f"<strong>{text}</strong>"
    if s.italic:
        text = f"<em>{text}</em>"
    if s.strike:
        text = f"<s>{text}</s>"
    return f'<a href="{html.escape(s.link, quote=True)}">{text}</a>' if s.link else text


def _html_inline(spans) -> str:
    return "".join(_html_span(s) for s in spans)


def to_html(doc: Document) -> str:
    out: list[str] = []
    open_lists: list[bool] = []  # ordered? of each open list

    def close_lists(to_depth: int) -> None:
        while len(open_lists) > to_depth:
            out.append("</li></ol>" if open_lists.pop() else "</li></ul>")

    for kind, item in _grouped(doc):
        if kind == "block" and item.kind == "list_item":
            depth = max(1, item.level)
            if len(open_lists) >= depth:
                close_lists(depth)
                if open_lists and open_lists[-1] != item.ordered:
                    close_lists(depth - 1)
                if len(open_lists) == depth:
                    out.append("</li>")
            while len(open_lists) < depth:
                out.append("<ol>" if item.ordered else "<ul>")
                open_lists.append(item.ordered)
            out.append(f"<li>{_html_inline(item.spans)}")
            continue
        close_lists(0)
        if kind == "table":
            rows = []
            for r, row in enumerate(item):
                tag = "th" if r == 0 else "td"
                rows.append("<tr>" + "".join(f"<{tag}>{_html_inline(c.spans)}</{tag}>" for c in row) + "</tr>")
            out.append("<table>\n" + "\n".join(rows) + "\n</table>")
        elif item.kind == "heading":
            n = max(1, min(item.level, 6))
            out.append(f"<h{n}>{_html_inline(item.spans)}</h{n}>")
        elif item.kind == "code":
            lang = f' class="language-{html.escape(item.language)}"' if item.language else ""
            out.append(f"<pre><code{lang}>{html.escape(item.text)}</code></pre>")
        elif item.kind == "quote":
            out.append(f"<blockquote><p>{_html_inline(item.spans)}</p></blockquote>")
        else:
            out.append(f"<p>{_html_inline(item.spans)}</p>")
    close_lists(0)
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n' + "\n".join(out)
            + "\n</body></html>\n")


# -- DOCX -------------------------------------------------------------------------------
def to_docx(doc: Document) -> bytes:
    import docx
    from docx.shared import Pt

    document = docx.Document()
    lists = _WordLists(document)
    for kind, item in _grouped(doc):
        if kind != "block" or item.kind != "list_item":
            lists.end()
        if kind == "table":
            table = document.add_table(rows=len(item), cols=max(len(r) for r in item))
            table.style = "Table Grid"
            for r, row in enumerate(item):
                for c, cell in enumerate(row):
                    target = table.cell(r, c).paragraphs[0]
                    _docx_runs(target, cell.spans)
            continue
        if item.kind == "heading":
            paragraph = document.add_heading(level=max(1, min(item.level, 9)))
        elif item.kind == "list_item":
            base = "List Number" if item.ordered else "List Bullet"
            style = base if item.level <= 1 else f"{base} {min(item.level, 3)}"
            paragraph = document.add_paragraph(style=style)
            if item.level <= 1:  # a nested list keeps its style's numbering (its level is read from the style)
                lists.number(paragraph, style)
        elif item.kind == "quote":
            paragraph = document.add_paragraph(style="Quote")
        elif item.kind == "code":
            run = document.add_paragraph().add_run(item.text)
            run.font.name = "Courier New"
            run.font.size = Pt(9)
            continue
        else:
            paragraph = document.add_paragraph()
        _docx_runs(paragraph, item.spans)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _WordLists:
    """Each top-level list numbered as a Word list of its own: its items carry
    numbering (w:numPr) that every word processor shows, and a new list starts
    at 1 again instead of carrying on from the one before."""

    def __init__(self, document):
        self.document = document
        self.numbering = document.part.numbering_part.element
        self.current: dict[str, int] = {}  # style -> numId of the list being written

    def end(self) -> None:
        self.current = {}

    def number(self, paragraph, style_name: str) -> None:
        num_id = self.current.get(style_name)
        if num_id is None:
            style = self.document.styles[style_name].element
            style_num = style.pPr.numPr.numId.val if style.pPr is not None and style.pPr.numPr is not None else None
            if style_num is None:
                return
            abstract = self.numbering.num_having_numId(style_num).abstractNumId.val
            num = self.numbering.add_num(abstract)
            num.add_lvlOverride(ilvl=0).add_startOverride(1)
            num_id = self.current[style_name] = num.numId
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num_id


def _docx_runs(paragraph, spans) -> None:
    for s in spans:
        if s.link:
            _docx_link(paragraph, s)
            continue
        run = paragraph.add_run(s.text)
        run.bold, run.italic = s.bold or None, s.italic or None
        run.font.strike = s.strike or None
        if s.code:
            run.font.name = "Courier New"


def _docx_link(paragraph, s: Span) -> None:
    """A real hyperlink (python-docx reads it back with its address)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel = paragraph.part.relate_to(s.link, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    if s.bold:
        props.append(OxmlElement("w:b"))
    if s.italic:
        props.append(OxmlElement("w:i"))
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = s.text
    run.append(text)
    link.append(run)
    paragraph._p.append(link)


def block_markdown(block: Block) -> str:
    """One block's text with its inline marks, as a person edits it (code blocks as they are)."""
    return block.text if block.kind == "code" else _md_inline(block.spans, escape=False)


def save_document(doc: Document, path: Path, source: Path | None = None) -> Path:
    """Write `doc` in the format its name asks for, atomically, never over `source`. A document
    read from a file that can take new words in place (its source) is written that way in its own
    format: everything but the words stays as it was."""
    path = Path(path)
    fmt = writable_format(path)
    data = doc.source.render(doc.blocks) if doc.source is not None and fmt == doc.format else render(doc, fmt)
    return save_file(path, data, source)


def output_path(source: Path, language: str) -> Path:
    """chapter.docx -> chapter.es.docx (never the input itself)."""
    return source.with_name(f"{source.stem}.{language}{source.suffix}")


__all__ = ["Block", "block_markdown", "escape_line_start", "render", "save_document", "to_docx", "to_html",
           "to_markdown", "to_text", "output_path"]
