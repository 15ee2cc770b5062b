"""A damaged history file: found before anything is written to it, and
saved row by row into a new file, the damaged one kept beside it.

SQLite keeps each table in a b-tree of pages; a damaged page loses the
rows on it, not the others. A full scan stops at the first bad page, so
rows are asked for one id at a time: every readable row is copied."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from desktop_llm.core.errors import ErrorKind, UserError
from desktop_llm.core.store.db import Database
from desktop_llm.core.store.migrations import MIGRATIONS

TABLES = ("conversations", "messages", "drafts", "draft_versions")  # parents before children
PROBE_PAST = 10_000  # ids tried past the last one known, when the file cannot say how many there are


class DamagedHistory(UserError):
    """The history file is damaged; nothing was written to it."""

    kind = ErrorKind.RESOURCES


@dataclass
class Recovery:
    saved_to: Path
    damaged_kept_as: Path
    saved: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    lost: dict[str, int] = field(default_factory=dict)  # table -> rows that could not be read or kept

    def as_dict(self) -> dict:
        return {"history": str(self.saved_to), "damaged_file": str(self.damaged_kept_as),
                "saved": self.saved, "lost": self.lost}

    @property
    def text(self) -> str:
        saved = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in self.saved.items() if n)
        lost = sum(self.lost.values())
        unread = f"{lost} rows could not be read. " if lost else ""
        return (f"Saved {saved or 'nothing'} into a new history. {unread}"
                f"The damaged file is kept as {self.damaged_kept_as}.")


def open_read_only(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


def damage_of(path: Path) -> str:
    """"" when the file reads as sound; else what SQLite found (the file is opened read-only)."""
    if not Path(path).exists():
        return ""
    try:
        connection = open_read_only(path)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        # Not an SQLite file at all: there is nothing to recover, and opening it says so.
        return "" if "not a database" in str(exc) else str(exc)
    found = [r[0] for r in rows]
    return "" if found == ["ok"] else "; ".join(found[:3])


def damaged(path: Path, found: str) -> DamagedHistory:
    return DamagedHistory(
        f"The history file {path} is damaged ({found}). It was left as it is. Run `desktop-llm history "
        "recover` (or choose Recover in the window) to copy everything that can still be read into a new "
        "history; the damaged file is kept beside it.", detail=found)


def _ids(source: sqlite3.Connection, table: str) -> range:
    for sql in (f"SELECT seq FROM sqlite_sequence WHERE name='{table}'", f"SELECT MAX(rowid) FROM {table}"):
        try:
            row = source.execute(sql).fetchone()
            if row and row[0]:
                return range(1, int(row[0]) + 1)
        except sqlite3.DatabaseError:
            continue
    return range(1, PROBE_PAST)


def recover(path: Path) -> Recovery:
    """Copy what can be read of the history at `path` into a new file put in
    its place; the damaged file (and its journal) are kept, renamed."""
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    fresh = path.with_name(f"{path.name}.recovering-{stamp}")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    report = Recovery(path, kept)
    try:
        source = open_read_only(path)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"The history file {path} cannot be read at all ({exc}); nothing could be saved. "
                        "It was left as it is.") from exc
    try:
        target = Database(fresh, MIGRATIONS, "the recovered history")  # the current schema, as new histories get it
    except BaseException:
        source.close()
        raise
    try:
        with target.transaction():
            _copy(source, target, report)
    except BaseException:
        target.close()
        source.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{fresh}{suffix}").unlink(missing_ok=True)
        raise
    target.close()
    source.close()
    for suffix in ("", "-wal", "-shm"):
        old = Path(f"{path}{suffix}")
        if old.exists():
            os.replace(old, Path(f"{kept}{suffix}"))
    os.replace(fresh, path)
    return report


def _copy(source: sqlite3.Connection, target: Database, report: Recovery) -> None:
    """Every readable row of every table, in the target's transaction."""
    for table in TABLES:
        columns = [r[1] for r in target.execute(f"PRAGMA table_info({table})")]
        saved = lost = 0
        for rowid in _ids(source, table):
            try:
                row = source.execute(f"SELECT * FROM {table} WHERE rowid=?", (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                lost += 1
                continue
            if row is None:
                continue
            values = {k: row[k] for k in row.keys() if k in columns}
            try:
                target.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES "
                               f"({', '.join('?' for _ in values)})", tuple(values.values()))
                saved += 1
            except sqlite3.IntegrityError:  # its conversation (or draft) was on a damaged page
                lost += 1
        report.saved[table], report.lost[table] = saved, lost
    # Point branches past rows that were lost: a conversation's last message, a message's parent.
    target.execute("UPDATE conversations SET leaf_id=(SELECT MAX(id) FROM messages m WHERE "
                   "m.conversation_id=conversations.id) WHERE leaf_id NOT IN (SELECT id FROM messages)")
    target.execute("UPDATE messages SET parent_id=(SELECT MAX(p.id) FROM messages p WHERE "
                   "p.conversation_id=messages.conversation_id AND p.id<messages.id) "
                   "WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT id FROM messages)")
