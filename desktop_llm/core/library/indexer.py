"""Bringing a library's index up to date with its files: new and changed files
are read, chunked, embedded and committed one file at a time; unchanged files
(same size and time, or else the same content) are skipped; files that are gone
are dropped. A file that cannot be read is recorded with the reason and never
stops the rest. Stopping (or a crash) keeps every file committed so far: the
next run goes on from there."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from desktop_llm.core.documents.formats import READABLE_SUFFIXES
from desktop_llm.core.documents.model import Document
from desktop_llm.core.documents.readers import decode_text, read_document, read_text
from desktop_llm.core.errors import UserError
from desktop_llm.core.library.chunks import chunk_document
from desktop_llm.core.library.embedder import Embedder, passage
from desktop_llm.core.library.store import LibraryStore

# Plain-text files people keep beside their documents, read as text.
TEXT_SUFFIXES = (".rst", ".org", ".tex", ".csv", ".tsv", ".json", ".yaml", ".yml", ".toml", ".xml", ".log",
                 ".py", ".js", ".ts", ".java", ".c", ".h", ".cpp", ".go", ".rs", ".rb", ".php", ".sh", ".sql")
MAX_TEXT_BYTES = 20 << 20


@dataclass
class IndexReport:
    files: int = 0  # files the library holds, indexed
    read: int = 0  # read in this run (new or changed)
    unchanged: int = 0
    dropped: int = 0  # gone from disk, removed from the index
    chunks: int = 0  # chunks written in this run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    stopped: bool = False  # stopped before the end (the rest is done next time)
    seconds: float = 0.0


def library_files(sources: list[str]) -> Iterator[Path]:
    """The readable files under the library's paths (hidden files and folders left out)."""
    suffixes = set(READABLE_SUFFIXES) | set(TEXT_SUFFIXES)
    for source in sources:
        root = Path(source)
        if root.is_file():
            yield root
            continue
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith(".") and Path(name).suffix.lower() in suffixes:
                    yield Path(folder) / name


def read_any(path: Path) -> Document:
    """A document in any format the documents code reads, or a plain-text file as text."""
    if path.suffix.lower() in READABLE_SUFFIXES:
        return read_document(path)
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise UserError(f"{path.name} is larger than {MAX_TEXT_BYTES >> 20} MB of text.")
    doc = read_text(decode_text(path.read_bytes(), path.name))
    if not doc.blocks:
        raise UserError(f"{path.name} is empty.")
    return doc


def under_missing(path: str, missing: list[str]) -> bool:
    """Whether a file lies under a source that is missing (an unplugged drive): its passages are kept."""
    return any(path.startswith(m) for m in missing)


def index_library(store: LibraryStore, library_id: int, embedder: Embedder,
                  progress: Callable[[int, int, str], None] | None = None,
                  cancel: threading.Event | None = None) -> IndexReport:
    t0 = time.perf_counter()
    report = IndexReport()
    sources = store.sources(library_id)
    missing = [s for s in sources if not Path(s).exists()]
    known = store.files(library_id)
    found = list(dict.fromkeys(library_files([s for s in sources if s not in missing])))
    found_names = {str(p) for p in found}
    # A source folder that is gone (an unplugged drive) keeps its files' chunks: they come back with it.
    gone = [p for p in known if p not in found_names and not under_missing(p, missing)]
    store.drop_files(library_id, gone)
    report.dropped = len(gone)
    report.skipped += [(m, "This folder or file is missing (moved, deleted, or on a drive that is not "
                           "connected).") for m in missing]
    started = time.perf_counter()
    for i, path in enumerate(found):
        if cancel is not None and cancel.is_set():
            report.stopped = True
            break
        if progress is not None:
            done = report.read + report.unchanged
            eta = (time.perf_counter() - started) / done * (len(found) - i) if done else None
            progress(i, len(found), f"Indexing {path.name}" + (f", about {eta:.0f} s left" if eta and eta > 2 else ""))
        _index_file(store, library_id, embedder, path, known.get(str(path)), report)
    if progress is not None:
        progress(len(found), len(found), "Index up to date" if not report.stopped else "Stopped")
    info = store.info(library_id)
    report.files = info.files
    report.skipped += [p for p in info.problems if p not in report.skipped]
    report.seconds = time.perf_counter() - t0
    return report


def _index_file(store, library_id, embedder, path: Path, row, report: IndexReport) -> None:
    try:
        stat = path.stat()
    except OSError as exc:
        report.skipped.append((str(path), f"It cannot be opened: {exc.strerror or exc}."))
        return
    if row is not None and row.size == stat.st_size and row.mtime == stat.st_mtime:
        report.unchanged += 1
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.skipped.append((str(path), f"It cannot be read: {exc.strerror or exc}."))
        return
    digest = hashlib.sha256(data).hexdigest()
    if row is not None and row.sha256 == digest and not row.error:
        store.touch_file(row.id, stat.st_size, stat.st_mtime)
        report.unchanged += 1
        return
    try:
        chunks = chunk_document(read_any(path))
        vectors = embedder.embed([passage(c.heading, c.text) for c in chunks])
    except UserError as exc:
        store.put_file(library_id, str(path), stat.st_size, stat.st_mtime, digest, [], None, exc.message)
        return
    store.put_file(library_id, str(path), stat.st_size, stat.st_mtime, digest, chunks, vectors,
                   embedder=embedder.name)
    report.read += 1
    report.chunks += len(chunks)
