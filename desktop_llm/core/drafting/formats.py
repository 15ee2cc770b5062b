"""A draft (Markdown) as HTML, plain text or a Word document."""

from __future__ import annotations

from desktop_llm.core.documents.readers import read_markdown
from desktop_llm.core.documents.writers import to_docx as documents_docx
from desktop_llm.core.markdown import parse
from desktop_llm.core.markdown import to_html as markdown_html

__all__ = ["to_docx", "to_html", "to_plain"]


def to_plain(text: str) -> str:
    """The words without Markdown marks: headings, lists and emphasis as plain lines
    (the draft's own line breaks kept)."""
    lines, depth, ordered, counters = [], 0, [], []
    for tok in parse(text):
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
    """Headings, paragraphs, lists, bold, italic, links, tables and code, by
    the documents' .docx writer; a line break in the draft stays one."""
    return documents_docx(read_markdown(hard_line_breaks(text)))


def to_html(text: str) -> str:
    """The draft as HTML; a line break in the draft stays one."""
    return markdown_html(hard_line_breaks(text))


def hard_line_breaks(text: str) -> str:
    """Markdown whose paragraphs keep the lines they were typed in: in the editor a new
    line looks like one (an address, a poem, a sign-off), so it is not joined to the last."""
    lines = text.split("\n")
    for tok in parse(text):
        if tok.type == "paragraph_open" and tok.map:
            start, end = tok.map
            for n in range(start, end - 1):
                line = lines[n]
                if line.strip() and not (line.endswith("  ") or line.endswith("\\")):
                    lines[n] = line + "\\"
    return "\n".join(lines)


def _inline_text(children) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")  # a line of the draft stays a line, as in Word and HTML
    return "".join(parts).strip()
