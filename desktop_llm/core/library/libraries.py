"""The libraries as the window, the CLI and the API use them: create one from
files and folders, bring it up to date, look into it, search it, remove it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from desktop_llm.core.errors import UserError
from desktop_llm.core.library.embedder import (
    DEFAULT_EMBEDDER,
    GGUF_PREFIX,
    Embedder,
    GgufEmbedder,
    embedder_for,
    passage,
)
from desktop_llm.core.library.grounding import (
    SUMMARY_ASK,
    Source,
    WholeDocument,
    sources_from,
    whole_document_asked,
)
from desktop_llm.core.library.indexer import IndexReport, index_library
from desktop_llm.core.library.search import Hit, search
from desktop_llm.core.library.store import LibraryInfo, LibraryStore

REEMBED_BATCH = 64  # passages embedded and kept together when a library changes embedder


class Libraries:
    def __init__(self, path: Path, model_path: Callable[[str], Path] | None = None):
        """`model_path` finds an installed model's file by name (for GGUF embedders)."""
        self.store = LibraryStore(path)
        self.model_path = model_path
        self._embedders: dict[str, Embedder] = {}
        self._working = threading.Lock()  # one indexing or embedding job at a time
        self._loading = threading.Lock()  # one embedder loaded at a time (each once)
        self.paused: set[str] = set()  # libraries whose indexing the user stopped: left alone until asked again

    def close(self) -> None:
        for embedder in self._embedders.values():
            if isinstance(embedder, GgufEmbedder):
                embedder.close()
        self.store.close()

    def _embedder_named(self, name: str) -> Embedder:
        with self._loading:
            if name not in self._embedders:
                embedder = embedder_for(name, self.model_path)
                embedder.embed_query("ready")  # one that cannot load says so now, not as every file's problem
                self._embedders[name] = embedder
            return self._embedders[name]

    def warm(self) -> None:
        """Load the built-in embedder ahead of need (its tokenizer holds Python's lock while it loads:
        better while a page opens than while the user watches progress)."""
        self._embedder_named(DEFAULT_EMBEDDER)

    def _embedder(self, library_id: int) -> Embedder:
        return self._embedder_named(self.store.embedder_of(library_id))  # not info(): it counts every chunk

    def embedder_name(self, model: str | None) -> str:
        """A library's embedder for a model's name (None or "" or the built-in one's name: the built-in one)."""
        if not model or model == DEFAULT_EMBEDDER:
            return DEFAULT_EMBEDDER
        return model if model.startswith(GGUF_PREFIX) else GGUF_PREFIX + model

    def add(self, name: str, paths: list[Path], progress: Callable[[int, int, str], None] | None = None,
            cancel: threading.Event | None = None, embedder: str | None = None) -> IndexReport:
        """Create the library when new (with `embedder`, a model's name, or the built-in one), add
        the paths to it, and index what is new."""
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"No file or folder {missing[0]}. Check the path.")
        chosen = self.embedder_name(embedder)
        self._embedder_named(chosen)  # an embedder that is not there stops here, before the library is made
        library_id = self.store.create(name, chosen)
        self.store.add_sources(library_id, [Path(p).resolve() for p in paths])
        return self.index(name, progress, cancel)

    def busy(self) -> bool:
        return self._working.locked()

    def index(self, name: str, progress=None, cancel: threading.Event | None = None) -> IndexReport:
        library_id = self.store.library_id(name)
        with self._working:
            report = index_library(self.store, library_id, self._embedder(library_id), progress, cancel)
        (self.paused.add if report.stopped else self.paused.discard)(name)
        return report

    def change_embedder(self, name: str, model: str | None, progress: Callable[[int, int, str], None] | None = None,
                        cancel: threading.Event | None = None) -> bool:
        """Embed every passage again with another embedder, in batches kept as they are done (a stop or a
        crash loses nothing; asking again carries on); the library searches with its old vectors until all
        are done, then switches at once. False when stopped before the end."""
        library_id = self.store.library_id(name)
        target = self.embedder_name(model)
        if target == self.store.embedder_of(library_id):
            return True
        embedder = self._embedder_named(target)
        with self._working:
            return self._reembed(library_id, target, embedder, progress, cancel)

    def _reembed(self, library_id: int, target: str, embedder: Embedder, progress, cancel) -> bool:
        left, total = self.store.count_unembedded(library_id, target)
        started, done = time.perf_counter(), 0
        while batch := self.store.unembedded(library_id, target, REEMBED_BATCH):
            if progress is not None:
                rate = done / (time.perf_counter() - started) if done else 0
                eta = f", about {(left - done) / rate:.0f} s left" if rate and (left - done) / rate > 2 else ""
                progress(total - left + done, total, f"Embedding passages with {embedder.name}{eta}")
            if cancel is not None and cancel.is_set():
                return False
            vectors = embedder.embed([passage(heading, text) for _, heading, text in batch])
            self.store.put_pending(target, [chunk_id for chunk_id, _, _ in batch], vectors)
            done += len(batch)
        self.store.switch_embedder(library_id, target)
        if progress is not None:
            progress(total, total, f"Passages embedded with {embedder.name}")
        return True

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

    def grounding(self, names: list[str], question: str, top: int = 5) -> list[Source] | WholeDocument:
        """What a question is answered from: one whole file when it asks for that file's summary, else
        the best passages found for it."""
        if SUMMARY_ASK.search(question):  # the files are listed only for a question that asks for a summary
            known = set(self.names())
            files = [path for name in names if name in known
                     for path, row in self.store.files(self.store.library_id(name)).items() if not row.error]
            whole = whole_document_asked(question, files)
            if whole is not None:
                return whole
        return self.sources(names, question, top)

    def search(self, name: str, query: str, top: int = 5, method: str = "hybrid") -> list[Hit]:
        if not query.strip():
            raise UserError("Type what to look for.")
        library_id = self.store.library_id(name)
        return search(self.store, library_id, self._embedder(library_id), query, top, method)
