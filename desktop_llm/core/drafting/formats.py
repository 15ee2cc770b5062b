"""A draft (Markdown) as HTML, plain text or a Word document."""

from __future__ import annotations

import io

from markdown_it import MarkdownIt

from desktop_llm.core.markdown import to_html

__all__ = ["to_docx", "to_html", "to_plain"]


def _tokens(text: str):
    return MarkdownIt("commonmark").enable("table").parse(text)


def to_plain(text: str) -> str:
    """The words without Markdown marks: headings, lists and emphasis as plain lines."""
    lines, depth, ordered, counters = [], 0, [], []
    for tok in _tokens(text):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(tok.type == "ordered_list_open")
            counters.append(0)
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
            counters.pop()
        elif tok.type == "list_item_open":
            counters[-1] += 1
        elif tok.type == "inline":
            prefix = ""
            if depth:
                mark = f"{counters[-1]}." if ordered[-1] else "•"
                prefix = "  " * (depth - 1) + mark + " "
            lines.append(prefix + _inline_text(tok.children or []))
        elif tok.type in ("fence", "code_block"):
            lines.append(tok.content.rstrip("\n"))
    return "\n".join(line for line in lines if line.strip()).strip() + "\n"


def to_docx(text: str) -> bytes:
    """Headings, paragraphs, bulleted and numbered lists, bold and italic, code."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    heading_level, list_styles = None, []
    for tok in _tokens(text):
        if tok.type == "heading_open":
            heading_level = int(tok.tag[1])
        elif tok.type == "heading_close":
            heading_level = None
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            list_styles.append("List Bullet" if tok.type == "bullet_list_open" else "List Number")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_styles.pop()
        elif tok.type == "inline":
            if heading_level is not None:
                paragraph = document.add_heading(level=min(heading_level, 9))
            elif list_styles:
                depth = len(list_styles)
                style = list_styles[-1] + ("" if depth == 1 else f" {min(depth, 3)}")
                paragraph = document.add_paragraph(style=style)
            else:
                paragraph = document.add_paragraph()
            _add_inline(paragraph, tok.children or [])
        elif tok.type in ("fence", "code_block"):
            run = document.add_paragraph().add_run(tok.content.rstrip("\n"))
            run.font.name = "Courier New"
            run.font.size = Pt(9)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_inline(paragraph, children) -> None:
    bold = italic = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("text", "code_inline"):
            run = paragraph.add_run(child.content)
            run.bold, run.italic = bold or None, italic or None
            if child.type == "code_inline":
                run.font.name = "Courier New"
        elif child.type in ("softbreak", "hardbreak"):
            paragraph.add_run(" ")


def _inline_text(children) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()
