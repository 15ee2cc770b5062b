"""The libraries as the window, the CLI and the API use them: create one from
files and folders, bring it up to date, look into it, search it, remove it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from desktop_llm.core.errors import UserError
from desktop_llm.core.library.embedder import DEFAULT_EMBEDDER, embedder_for
from desktop_llm.core.library.grounding import Source, sources_from
from desktop_llm.core.library.indexer import IndexReport, index_library
from desktop_llm.core.library.search import Hit, search
from desktop_llm.core.library.store import LibraryInfo, LibraryStore


class Libraries:
    def __init__(self, path: Path):
        self.store = LibraryStore(path)
        self._embedders: dict = {}

    def close(self) -> None:
        self.store.close()

    def _embedder(self, library_id: int):
        name = self.store.embedder_of(library_id)  # not info(): that counts every chunk, on each search
        if name not in self._embedders:
            self._embedders[name] = embedder_for(name)
        return self._embedders[name]

    def add(self, name: str, paths: list[Path], progress: Callable[[int, int, str], None] | None = None,
            cancel: threading.Event | None = None) -> IndexReport:
        """Create the library when new, add the paths to it, and index what is new."""
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"No file or folder {missing[0]}. Check the path.")
        library_id = self.store.create(name, DEFAULT_EMBEDDER)
        self.store.add_sources(library_id, [Path(p).resolve() for p in paths])
        return self.index(name, progress, cancel)

    def index(self, name: str, progress=None, cancel: threading.Event | None = None) -> IndexReport:
        library_id = self.store.library_id(name)
        return index_library(self.store, library_id, self._embedder(library_id), progress, cancel)

    def info(self, name: str) -> LibraryInfo:
        return self.store.info(self.store.library_id(name))

    def names(self) -> list[str]:
        return self.store.names()

    def remove(self, name: str) -> None:
        self.store.remove(self.store.library_id(name))

    def sources(self, names: list[str], question: str, top: int = 5) -> list[Source]:
        """The best passages for a question across libraries, numbered for a grounded answer
        (a library removed since it was chosen is passed over)."""
        known = set(self.names())
        hits = [hit for name in names if name in known for hit in self.search(name, question, top)]
        return sources_from(sorted(hits, key=lambda h: -h.score)[:top])

    def search(self, name: str, query: str, top: int = 5, method: str = "hybrid") -> list[Hit]:
        if not query.strip():
            raise UserError("Type what to look for.")
        library_id = self.store.library_id(name)
        return search(self.store, library_id, self._embedder(library_id), query, top, method)
