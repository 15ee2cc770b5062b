"""One SQLite file in WAL mode behind one lock: the connection, public
transactions, schema migrations (with a copy kept before each upgrade), and
storage failures turned into messages a person can act on."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from desktop_llm.core.errors import UserError
from desktop_llm.core.files import disk_error


class Database:
    """Thread-safe access to one SQLite file (one connection, one lock)."""

    def __init__(self, path: Path, migrations: Sequence[str], what: str):
        """`migrations[N-1]` upgrades the schema from version N-1 to N;
        `what` names the file in messages ("the history"). A file in a
        folder that cannot be written is opened read-only: it can be read,
        and every write says why it cannot be done."""
        self.path = Path(path)
        self.what = what
        self._lock = threading.RLock()
        self.read_only = _read_only(self.path)
        try:
            if self.read_only:
                uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
                self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.connection = sqlite3.connect(self.path, check_same_thread=False, timeout=10,
                                                  isolation_level=None)
            self.connection.row_factory = sqlite3.Row
            if not self.read_only:
                self.connection.execute("PRAGMA journal_mode=WAL")
                self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute("PRAGMA foreign_keys=ON")
            self._migrate(migrations)
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"The file {self.path} cannot be opened ({exc}). "
                f"Move it aside to start {what} anew; your other files are untouched.",
            ) from exc

    def execute(self, sql: str, params: Sequence | dict = ()) -> sqlite3.Cursor:
        """One statement; the caller holds `locked()` or `transaction()`."""
        return self.connection.execute(sql, params)

    def insert(self, sql: str, params: Sequence | dict = ()) -> int:
        """One INSERT; the new row's id. The caller holds `transaction()`."""
        rowid = self.connection.execute(sql, params).lastrowid
        if rowid is None:  # SQLite sets it for every INSERT into a rowid table
            raise RuntimeError(f"no row id after {sql[:40]}")
        return rowid

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialize access and turn storage failures into clear messages."""
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if any(word in text for word in ("full", "locked", "busy", "readonly", "read-only")):
                    raise disk_error(exc, f"{self.what} ({self.path})", "try again; nothing on screen is lost") \
                        from exc
                raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside are kept together or not at all."""
        with self.locked():
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.connection.in_transaction:  # SQLite may already have rolled back (disk full)
                    self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    # -- schema -----------------------------------------------------------------
    def schema_version(self) -> int:
        row = self.connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if row is None:
            return 0
        row = self.connection.execute("SELECT version FROM schema_version").fetchone()
        return row[0] if row else 0

    def _migrate(self, migrations: Sequence[str]) -> None:
        latest = len(migrations)
        with self.locked():
            current = self.schema_version()
            if current > latest:
                raise UserError(
                    f"{self.what.capitalize()} was written by a newer version of desktop-llm "
                    f"(schema {current}, this version knows {latest}). Update the app."
                )
            if current == latest:
                return
            if self.read_only:
                raise UserError(f"{self.what.capitalize()} ({self.path}) is in a folder that cannot be written, "
                                "and this version of desktop-llm must update it first. Make the folder "
                                "writable, then try again.")
            if current > 0:
                self._backup(current)
            for version in range(current + 1, latest + 1):
                with self.transaction():
                    for statement in _statements(migrations[version - 1]):
                        self.connection.execute(statement)
                    self.connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                    self.connection.execute("DELETE FROM schema_version")
                    self.connection.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def _backup(self, version: int) -> None:
        """Keep a copy of the file before changing its schema."""
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        backup = sqlite3.connect(target)
        try:
            self.connection.backup(backup)
        finally:
            backup.close()

    def close(self) -> None:
        with self.locked():
            self.connection.close()


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement aware)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


def _read_only(path: Path) -> bool:
    """An existing file that this process may not change (or whose folder it may not write to,
    where SQLite keeps its journal)."""
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
