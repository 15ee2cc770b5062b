"""Word and OpenDocument files are zip archives: their sizes once expanded
are checked from the archive's directory before any part is read, so a
"zip bomb" (a few MB that expand to gigabytes) is refused within a few MB
of memory. Python's zipfile never expands a part past the size its
directory declares, so the declared sizes bound what is read."""

from __future__ import annotations

import zipfile
from pathlib import Path

from desktop_llm.core.errors import UserError

MAX_PART_BYTES = 64 << 20  # one part (the text's XML is read whole)
MAX_TOTAL_BYTES = 256 << 20  # every part together
MAX_PARTS = 10_000


def check_archive(path: Path, kind: str) -> None:
    """Refuse an archive too large once expanded; `kind` names it ("a Word document (.docx)")."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UserError(f"{path.name} is damaged or not {kind}. Open and save it again in Word or "
                        "LibreOffice.", detail=repr(exc)) from exc
    total = sum(p.file_size for p in parts)
    largest = max((p.file_size for p in parts), default=0)
    if len(parts) > MAX_PARTS or total > MAX_TOTAL_BYTES or largest > MAX_PART_BYTES:
        raise UserError(
            f"{path.name} is too large when expanded: its {len(parts):,} parts would take "
            f"{total / (1 << 20):,.0f} MB (at most {MAX_TOTAL_BYTES >> 20} MB, and {MAX_PART_BYTES >> 20} MB for "
            "one part, are read). If the document is yours, save it again from your word processor, or "
            "split it.", detail=f"largest part {largest} bytes")
