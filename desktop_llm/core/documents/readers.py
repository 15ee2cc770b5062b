"""Reading documents into blocks, with the format's own parser (markdown-it,
the standard HTML tokenizer, lxml over Word's and OpenDocument's XML, pypdf)
— never regular expressions over markup. Word, OpenDocument, Markdown and
HTML documents come back able to write themselves again in place."""

from __future__ import annotations

from pathlib import Path

from desktop_llm.core.documents.docx_source import read_docx
from desktop_llm.core.documents.formats import READABLE_TEXT, format_of
from desktop_llm.core.documents.html_reader import read_html
from desktop_llm.core.documents.markdown_source import read_markdown
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.odt_source import read_odt
from desktop_llm.core.documents.pdf_reader import read_pdf
from desktop_llm.core.errors import UserError

MAX_BYTES = 50 << 20


def read_document(path: str | Path) -> Document:
    path = Path(path)
    fmt = format_of(path)
    if fmt is None:
        raise UserError(f"{path.name}: this kind of file is not supported. Use {READABLE_TEXT}.")
    if not path.is_file():
        raise UserError(f"No file {path}. Check the path.")
    size = path.stat().st_size
    if size == 0:
        raise UserError(f"{path.name} is empty: there is nothing to read.")
    if size > MAX_BYTES:
        raise UserError(f"{path.name} is {size >> 20} MB; documents up to {MAX_BYTES >> 20} MB can be read. "
                        "Split it into parts.")
    data = path.read_bytes()
    if fmt in ("txt", "md", "html"):
        text = decode_text(data, path.name)
        doc = {"txt": read_text, "md": read_markdown, "html": read_html}[fmt](text)
    elif fmt == "docx":
        doc = read_docx(path)
    elif fmt == "odt":
        doc = read_odt(path)
    else:
        doc = read_pdf(path)
    if not any(b.text.strip() for b in doc.blocks):
        raise UserError(f"{path.name} has no text to work with.")
    doc.format = fmt
    return doc


def decode_text(data: bytes, name: str) -> str:
    """Text in whatever encoding it is in (UTF-8, UTF-16, Latin-1, Windows-1252...)."""
    if b"\0" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{name} is not a text file (it looks binary).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    if any("cp1252" in m.could_be_from_charset for m in matches):
        return data.decode("cp1252")  # Windows' Western encoding: by far the most common of the candidates
    best = matches.best()
    if best is None:
        raise UserError(f"{name} is not readable text (its encoding could not be recognised).")
    return str(best)


def read_text(text: str) -> Document:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return Document([Block("paragraph", (Span(p),)) for p in paragraphs if p])


# -- HTML ---------------------------------------------------------------------------
