"""Where a translation goes, and where it keeps its finished blocks until it is done
(so a stopped translation goes on from there, and reopening its document says so)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from desktop_llm.core.documents.language import LANGUAGES
from desktop_llm.core.documents.model import Document
from desktop_llm.core.documents.writers import WRITABLE, output_path
from desktop_llm.core.files import read_json

STATE_SUFFIX = ".translation.json"


def translation_output(source: Path, doc: Document, code: str, output: Path | None = None) -> Path:
    """Where a translation is written: `output`, or beside the source in its format (a format
    that cannot be written, like PDF, becomes Markdown)."""
    output = Path(output) if output else output_path(source, code)
    return output if doc.format in WRITABLE else output.with_suffix(".md")


def fingerprint(doc: Document) -> str:
    return hashlib.sha256(json.dumps([(b.kind, b.text) for b in doc.blocks]).encode()).hexdigest()


def state_file(output: Path) -> Path:
    """Where a translation into `output` keeps its finished blocks until it is done."""
    return output.with_name(output.name + STATE_SUFFIX)


def unfinished(source: Path, doc: Document) -> dict[str, int]:
    """Translations of this document that were stopped: language code -> blocks kept for the next run."""
    found, source_print = {}, fingerprint(doc)
    for code in LANGUAGES:
        path = state_file(translation_output(Path(source), doc, code))
        if not path.exists():
            continue
        state = read_json(path, dict)
        if state.get("source") == source_print and state.get("blocks"):
            found[code] = len(state["blocks"])
    return found
