"""Vector search inside SQLite with sqlite-vec, for libraries whose vectors are
too many to keep in memory. Python's own sqlite3 loads the extension where it
was built to (most do; some, such as pyenv's default build, cannot); else the
`sqlean.py` build of SQLite is used when installed; else there is no SQLite
path and search keeps the vectors in memory with numpy, whatever their size.
The vectors stay where they are (a BLOB per chunk): sqlite-vec computes the
cosine distance of each to the question in C, without loading them into
Python, on a read connection of its own."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def _with_vec(module, path: Path):
    import sqlite_vec

    connection = module.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    connection.enable_load_extension(True)
    sqlite_vec.load(connection)
    connection.enable_load_extension(False)
    return connection


class VectorSql:
    """A read connection with sqlite-vec loaded, or none (`available` False) where it cannot load."""

    def __init__(self, path: Path):
        self.connection = None
        self.driver = ""
        self._lock = threading.Lock()
        for name in ("sqlite3", "sqlean"):
            try:
                module = sqlite3 if name == "sqlite3" else __import__("sqlean")
                self.connection = _with_vec(module, path)
                self.driver = name
                break
            except Exception as exc:  # no extension loading in this build, no sqlite-vec, no sqlean
                log.debug("sqlite-vec through %s: %s", name, exc)

    @property
    def available(self) -> bool:
        return self.connection is not None

    def nearest(self, library_id: int, query: np.ndarray, limit: int) -> list[int]:
        """The library's chunks nearest to `query` by cosine distance, nearest first."""
        assert self.connection is not None
        with self._lock:
            rows = self.connection.execute(
                "SELECT chunks.id FROM chunks JOIN files ON files.id = chunks.file_id WHERE files.library_id = ? "
                "AND length(chunks.vector) = ? ORDER BY vec_distance_cosine(chunks.vector, ?), chunks.id LIMIT ?",
                (library_id, query.nbytes, query.astype(np.float32).tobytes(), limit)).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
