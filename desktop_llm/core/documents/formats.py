"""The one table of document formats: which file names are read, which are
written, and what a person calls each. Readers, writers, the CLI and the
window all ask here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_llm.core.errors import UserError


@dataclass(frozen=True)
class Format:
    id: str
    name: str  # what a person calls it
    suffixes: tuple[str, ...]  # the first is the one written
    writable: bool = True


FORMATS: dict[str, Format] = {f.id: f for f in (
    Format("docx", "Word document", (".docx",)),
    Format("odt", "OpenDocument text", (".odt",)),
    Format("md", "Markdown", (".md", ".markdown")),
    Format("html", "Web page", (".html", ".htm")),
    Format("txt", "Text", (".txt", ".text")),
    Format("pdf", "PDF", (".pdf",), writable=False),
)}
BY_SUFFIX = {suffix: f.id for f in FORMATS.values() for suffix in f.suffixes}
READABLE_SUFFIXES = tuple(BY_SUFFIX)
WRITABLE = tuple(f.id for f in FORMATS.values() if f.writable)


def _listed(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " or " + items[-1]


READABLE_TEXT = _listed([f.suffixes[0] for f in FORMATS.values()])  # ".docx, .odt, ... or .pdf"
WRITABLE_TEXT = _listed([FORMATS[f].suffixes[0] for f in WRITABLE])


def format_of(path: Path) -> str | None:
    """The format a file name says, or None when it is not a document we read."""
    return BY_SUFFIX.get(Path(path).suffix.lower())


def writable_format(path: Path) -> str:
    """The format to write `path` in; a name we cannot write is refused."""
    fmt = format_of(path)
    if fmt is None or not FORMATS[fmt].writable:
        raise UserError(f"{Path(path).name}: documents can be saved as {WRITABLE_TEXT}.")
    return fmt


def file_filter(format_id: str) -> str:
    """A file dialog's filter for one format, e.g. "Word document (*.docx)"."""
    f = FORMATS[format_id]
    return f"{f.name} ({' '.join('*' + s for s in f.suffixes)})"
