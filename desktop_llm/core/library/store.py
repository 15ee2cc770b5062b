"""The libraries' index in its own SQLite file: libraries and the paths added to
them, the files found there (with what is needed to skip an unchanged one), and
each file's chunks with their full-text index and vectors. A file's chunks and
its row are written in one transaction: a file counts as indexed only once its
chunks are committed, so a crash mid-way leaves nothing half done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.library.vector_sql import VectorSql
from desktop_llm.core.store.db import Database
from desktop_llm.core.store.records import now_iso

MIGRATIONS = [
    # 1: libraries, their sources, files and chunks; full-text search over the chunks
    """
    CREATE TABLE libraries (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, embedder TEXT NOT NULL,
                            created_at TEXT NOT NULL);
    CREATE TABLE sources (id INTEGER PRIMARY KEY, library_id INTEGER NOT NULL REFERENCES libraries(id)
                          ON DELETE CASCADE, path TEXT NOT NULL, UNIQUE (library_id, path));
    CREATE TABLE files (id INTEGER PRIMARY KEY, library_id INTEGER NOT NULL REFERENCES libraries(id)
                        ON DELETE CASCADE, path TEXT NOT NULL, size INTEGER NOT NULL, mtime REAL NOT NULL,
                        sha256 TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', indexed_at TEXT NOT NULL,
                        UNIQUE (library_id, path));
    CREATE TABLE chunks (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
                         ord INTEGER NOT NULL, text TEXT NOT NULL, heading TEXT NOT NULL, page INTEGER,
                         vector BLOB NOT NULL);
    CREATE INDEX chunks_file ON chunks(file_id);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, content='chunks', content_rowid='id',
                                               tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading); END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
    END;
    """,
    # 2: how many chunks hold each word, so a search can leave out words nearly every chunk has
    """
    CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
    """,
    # 3: vectors of another embedder, made while the library keeps searching with its own (see re-embedding)
    """
    CREATE TABLE pending_vectors (chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
                                  embedder TEXT NOT NULL, vector BLOB NOT NULL);
    """,
]


@dataclass(frozen=True)
class LibraryInfo:
    id: int
    name: str
    embedder: str
    sources: tuple[str, ...]
    files: int
    chunks: int
    problems: tuple[tuple[str, str], ...]  # (path, reason) of files that could not be read

    def as_dict(self) -> dict:
        return {"library": self.name, "embedder": self.embedder, "sources": list(self.sources),
                "files": self.files, "chunks": self.chunks,
                "skipped": [{"path": p, "reason": r} for p, r in self.problems]}


@dataclass(frozen=True)
class FileRow:
    id: int
    path: str
    size: int
    mtime: float
    sha256: str
    error: str


@dataclass(frozen=True)
class Chunk:
    text: str
    heading: str  # the heading path ("Refunds › Damaged goods")
    page: int | None  # PDF page, from 1


VECTORS_IN_MEMORY_MAX = 512 << 20  # bytes of a library's vectors kept in memory; more are searched in SQLite


class LibraryStore:
    def __init__(self, path: Path):
        self.db = Database(path, MIGRATIONS, "the library index")
        self._vectors: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # library -> (chunk ids, matrix)
        self._ids: dict[int, frozenset[int]] = {}
        self._sql: VectorSql | None = None
        self.vector_search = "auto"  # "memory" (numpy), "sqlite-vec", or auto: memory unless too large
        self._in_sql: dict[int, bool] = {}
        self._total: int | None = None  # chunks in the index (cached; a change forgets it)
        self._term_docs: dict[str, int] = {}  # chunks holding a word (cached; a change forgets them)

    @property
    def vector_sql(self) -> VectorSql:
        if self._sql is None:
            self._sql = VectorSql(self.db.path)
        return self._sql

    def searches_vectors_in_sql(self, library_id: int) -> bool:
        """Whether a library's vectors are searched with sqlite-vec rather than in memory."""
        if self.vector_search == "memory" or not self.vector_sql.available:
            return False
        if self.vector_search == "sqlite-vec":
            return True
        if library_id not in self._in_sql:
            with self.db.locked():
                size = self.db.execute("SELECT COALESCE(SUM(length(chunks.vector)), 0) FROM chunks JOIN files ON "
                                       "files.id = chunks.file_id WHERE files.library_id = ?",
                                       (library_id,)).fetchone()[0]
            self._in_sql[library_id] = size > VECTORS_IN_MEMORY_MAX
        return self._in_sql[library_id]

    def chunk_ids(self, library_id: int) -> frozenset[int]:
        """The library's chunks (the index holds every library's)."""
        if library_id not in self._ids:
            with self.db.locked():
                self._ids[library_id] = frozenset(r[0] for r in self.db.execute(
                    "SELECT chunks.id FROM chunks JOIN files ON files.id = chunks.file_id WHERE files.library_id = ?",
                    (library_id,)))
        return self._ids[library_id]

    def _forget(self, library_id: int) -> None:
        self._vectors.pop(library_id, None)
        self._ids.pop(library_id, None)
        self._in_sql.pop(library_id, None)
        self._total = None
        self._term_docs.clear()

    def chunk_total(self) -> int:
        """All the index's chunks (every library's), counted once until the next change."""
        if self._total is None:
            with self.db.locked():
                self._total = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return self._total

    def term_docs(self, words: list[str]) -> dict[str, int]:
        """How many chunks hold each word (remembered until the next change)."""
        unknown = [w for w in words if w not in self._term_docs]
        if unknown:
            with self.db.locked():
                found = dict(self.db.execute(
                    f"SELECT term, doc FROM chunks_vocab WHERE term IN ({','.join('?' * len(unknown))})",
                    unknown).fetchall())
            self._term_docs.update({w: found.get(w, 0) for w in unknown})
        return {w: self._term_docs[w] for w in words}

    def vectors(self, library_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk's id and vector, kept in memory after the first search (a change drops them)."""
        if library_id not in self._vectors:
            with self.db.locked():
                rows = self.db.execute("SELECT chunks.id, chunks.vector FROM chunks JOIN files ON "
                                       "files.id = chunks.file_id WHERE files.library_id = ? AND "
                                       "length(chunks.vector) > 0 ORDER BY chunks.id", (library_id,)).fetchall()
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            matrix = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
                      if rows else np.zeros((0, 0), dtype=np.float32))
            self._vectors[library_id] = (ids, matrix)
        return self._vectors[library_id]

    def close(self) -> None:
        if self._sql is not None:
            self._sql.close()
        self.db.connection.close()

    # -- libraries ------------------------------------------------------------------------------
    def create(self, name: str, embedder: str) -> int:
        name = name.strip()
        if not name:
            raise UserError("A library needs a name.")
        with self.db.transaction():
            row = self.db.execute("SELECT id FROM libraries WHERE name = ?", (name,)).fetchone()
            if row:
                return row["id"]
            return self.db.insert("INSERT INTO libraries (name, embedder, created_at) VALUES (?, ?, ?)",
                                  (name, embedder, now_iso()))

    def library_id(self, name: str) -> int:
        with self.db.locked():
            row = self.db.execute("SELECT id FROM libraries WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"There is no library “{name}”. `desktop-llm library list` shows them.")
        return row["id"]

    def add_sources(self, library_id: int, paths: list[Path]) -> None:
        with self.db.transaction():
            for path in paths:
                self.db.execute("INSERT OR IGNORE INTO sources (library_id, path) VALUES (?, ?)",
                                (library_id, str(path)))

    def sources(self, library_id: int) -> list[str]:
        with self.db.locked():
            return [r["path"] for r in self.db.execute(
                "SELECT path FROM sources WHERE library_id = ? ORDER BY id", (library_id,))]

    def remove(self, library_id: int) -> None:
        self._forget(library_id)
        with self.db.transaction():
            self.db.execute("DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE library_id = ?)",
                            (library_id,))
            self.db.execute("DELETE FROM libraries WHERE id = ?", (library_id,))

    def embedder_of(self, library_id: int) -> str:
        with self.db.locked():
            return self.db.execute("SELECT embedder FROM libraries WHERE id = ?", (library_id,)).fetchone()[0]

    def info(self, library_id: int) -> LibraryInfo:
        with self.db.locked():
            lib = self.db.execute("SELECT * FROM libraries WHERE id = ?", (library_id,)).fetchone()
            files = self.db.execute("SELECT COUNT(*) FROM files WHERE library_id = ? AND error = ''",
                                    (library_id,)).fetchone()[0]
            chunks = self.db.execute("SELECT COUNT(*) FROM chunks JOIN files ON files.id = chunks.file_id "
                                     "WHERE files.library_id = ?", (library_id,)).fetchone()[0]
            problems = tuple((r["path"], r["error"]) for r in self.db.execute(
                "SELECT path, error FROM files WHERE library_id = ? AND error != '' ORDER BY path", (library_id,)))
        return LibraryInfo(lib["id"], lib["name"], lib["embedder"], tuple(self.sources(library_id)), files, chunks,
                           problems)

    def names(self) -> list[str]:
        with self.db.locked():
            return [r["name"] for r in self.db.execute("SELECT name FROM libraries ORDER BY name")]

    # -- files ------------------------------------------------------------------------------------
    def files(self, library_id: int) -> dict[str, FileRow]:
        with self.db.locked():
            return {r["path"]: FileRow(r["id"], r["path"], r["size"], r["mtime"], r["sha256"], r["error"])
                    for r in self.db.execute("SELECT * FROM files WHERE library_id = ?", (library_id,))}

    def put_file(self, library_id: int, path: str, size: int, mtime: float, sha256: str, chunks: list[Chunk],
                 vectors: np.ndarray | None, error: str = "", embedder: str = "") -> None:
        """A file's chunks replace its old ones, with its row, all at once; `embedder` made the vectors
        (refused if the library switched to another meanwhile: vectors of two kinds do not compare)."""
        self._forget(library_id)
        with self.db.transaction():
            current = self.db.execute("SELECT embedder FROM libraries WHERE id = ?", (library_id,)).fetchone()
            if embedder and current is not None and current[0] != embedder:
                raise UserError("The library changed how it finds passages while it was being indexed. "
                                "Index it again.")
            self.db.execute("DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE library_id = ? "
                            "AND path = ?)", (library_id, path))
            self.db.execute("DELETE FROM files WHERE library_id = ? AND path = ?", (library_id, path))
            file_id = self.db.insert("INSERT INTO files (library_id, path, size, mtime, sha256, error, indexed_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     (library_id, path, size, mtime, sha256, error, now_iso()))
            for i, chunk in enumerate(chunks):
                vector = vectors[i].astype(np.float32).tobytes() if vectors is not None else b""
                self.db.execute("INSERT INTO chunks (file_id, ord, text, heading, page, vector) "
                                "VALUES (?, ?, ?, ?, ?, ?)", (file_id, i, chunk.text, chunk.heading, chunk.page,
                                                              vector))

    def touch_file(self, file_id: int, size: int, mtime: float) -> None:
        """A file whose content did not change (same hash) keeps its chunks; its size and time are noted."""
        with self.db.transaction():
            self.db.execute("UPDATE files SET size = ?, mtime = ? WHERE id = ?", (size, mtime, file_id))

    def drop_files(self, library_id: int, paths: list[str]) -> None:
        self._forget(library_id)
        with self.db.transaction():
            for path in paths:
                self.db.execute("DELETE FROM chunks WHERE file_id IN (SELECT id FROM files WHERE library_id = ? "
                                "AND path = ?)", (library_id, path))
                self.db.execute("DELETE FROM files WHERE library_id = ? AND path = ?", (library_id, path))

    # -- another embedder -------------------------------------------------------------------------
    def unembedded(self, library_id: int, embedder: str, limit: int) -> list[tuple[int, str, str]]:
        """Chunks (id, heading, text) that have no vector from `embedder` yet."""
        with self.db.locked():
            return [(r[0], r[1], r[2]) for r in self.db.execute(
                "SELECT chunks.id, chunks.heading, chunks.text FROM chunks JOIN files ON files.id = chunks.file_id "
                "LEFT JOIN pending_vectors p ON p.chunk_id = chunks.id AND p.embedder = ? "
                "WHERE files.library_id = ? AND p.chunk_id IS NULL ORDER BY chunks.id LIMIT ?",
                (embedder, library_id, limit))]

    def count_unembedded(self, library_id: int, embedder: str) -> tuple[int, int]:
        """(chunks still to embed with `embedder`, all the library's chunks)."""
        with self.db.locked():
            row = self.db.execute(
                "SELECT COUNT(*), COUNT(p.chunk_id) FROM chunks JOIN files ON files.id = chunks.file_id "
                "LEFT JOIN pending_vectors p ON p.chunk_id = chunks.id AND p.embedder = ? "
                "WHERE files.library_id = ?", (embedder, library_id)).fetchone()
        return row[0] - row[1], row[0]

    def put_pending(self, embedder: str, ids: list[int], vectors: np.ndarray) -> None:
        """A batch of new vectors, kept aside (a stop or a crash keeps what is done)."""
        with self.db.transaction():
            for chunk_id, vector in zip(ids, vectors):
                self.db.execute("INSERT OR REPLACE INTO pending_vectors (chunk_id, embedder, vector) VALUES (?, ?, ?)",
                                (chunk_id, embedder, vector.astype(np.float32).tobytes()))

    def switch_embedder(self, library_id: int, embedder: str) -> None:
        """Every chunk takes its vector from `embedder`, and the library that embedder, at once."""
        self._forget(library_id)
        with self.db.transaction():
            self.db.execute("UPDATE chunks SET vector = (SELECT vector FROM pending_vectors p WHERE "
                            "p.chunk_id = chunks.id AND p.embedder = ?) WHERE file_id IN (SELECT id FROM files "
                            "WHERE library_id = ?)", (embedder, library_id))
            self.db.execute("DELETE FROM pending_vectors WHERE chunk_id IN (SELECT chunks.id FROM chunks JOIN "
                            "files ON files.id = chunks.file_id WHERE files.library_id = ?)", (library_id,))
            self.db.execute("UPDATE libraries SET embedder = ? WHERE id = ?", (embedder, library_id))
