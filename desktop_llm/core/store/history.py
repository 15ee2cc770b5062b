"""Conversations and messages in SQLite (WAL mode).

The user's message is written before generation starts; the assistant's
message is written while it streams (status 'streaming', then done, stopped
or error), so a crash loses at most the last unflushed second of text. Rows a
dead process left 'streaming' are marked 'interrupted' when the store opens.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.store.migrations import LATEST, MIGRATIONS

TITLE_LENGTH = 60
MESSAGE_COLUMNS = (
    "id, conversation_id, role, content, status, model, prompt_tokens, completion_tokens,"
    " ttft_s, tokens_per_second, error, created_at"
)
CONVERSATION_SELECT = (
    "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id=c.id) AS message_count"
    " FROM conversations c"
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    model: str
    system_prompt: str
    created_at: str
    updated_at: str
    message_count: int = 0

    def as_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "model": self.model,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "message_count": self.message_count,
        }


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_s: float | None
    tokens_per_second: float | None
    error: str
    created_at: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


class History:
    """Thread-safe access to the history file (one connection, one lock)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10,
                                       isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"The history file {self.path} cannot be opened ({exc}). "
                "Move it aside to start a new history; your other files are untouched.",
            ) from exc
        self.recover_interrupted()

    @contextmanager
    def _locked(self):
        """Serialize access and turn storage failures into clear messages."""
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if "full" in text:
                    raise UserError(
                        "The disk is full, so the history could not be saved. "
                        "Free some disk space and try again; nothing on screen is lost."
                    ) from exc
                if "locked" in text or "busy" in text:
                    raise UserError(
                        "The history file is busy (another copy of desktop-llm may be writing to it). "
                        "Try again in a moment."
                    ) from exc
                if "readonly" in text or "read-only" in text:
                    raise UserError(
                        f"The history file {self.path} is read-only. Check its permissions."
                    ) from exc
                raise

    @contextmanager
    def _transaction(self):
        with self._locked():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:  # SQLite may already have rolled back (disk full)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- schema -----------------------------------------------------------------
    def schema_version(self) -> int:
        row = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if row is None:
            return 0
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        return row[0] if row else 0

    def _migrate(self) -> None:
        with self._locked():
            current = self.schema_version()
            if current > LATEST:
                raise UserError(
                    f"The history file was written by a newer version of desktop-llm "
                    f"(schema {current}, this version knows {LATEST}). Update the app."
                )
            if current == LATEST:
                return
            if current > 0:
                self._backup(current)
            for version in range(current + 1, LATEST + 1):
                with self._transaction():
                    for statement in _statements(MIGRATIONS[version - 1]):
                        self._db.execute(statement)
                    self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                    self._db.execute("DELETE FROM schema_version")
                    self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def _backup(self, version: int) -> None:
        """Keep a copy of the file before changing its schema."""
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        backup = sqlite3.connect(target)
        try:
            self._db.backup(backup)
        finally:
            backup.close()

    # -- recovery ------------------------------------------------------------
    def recover_interrupted(self) -> int:
        """Mark rows left 'streaming' by a process that no longer runs."""
        with self._locked():
            rows = self._db.execute(
                "SELECT id, writer_pid FROM messages WHERE status='streaming'"
            ).fetchall()
            dead = [r["id"] for r in rows if not _pid_alive(r["writer_pid"])]
            for message_id in dead:
                self._db.execute(
                    "UPDATE messages SET status='interrupted', updated_at=? WHERE id=?",
                    (now_iso(), message_id),
                )
            return len(dead)

    # -- conversations ---------------------------------------------------------
    def create_conversation(self, title: str = "", model: str = "", system_prompt: str = "",
                            first_message: str | None = None) -> int:
        """Create a conversation, with its first user message in the same transaction
        when given, so a failed write never leaves an empty conversation behind."""
        ts = now_iso()
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO conversations (title, model, system_prompt, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (title, model, system_prompt, ts, ts),
            )
            if first_message is not None:
                self._insert_message(cur.lastrowid, "user", first_message, "done", "")
        return cur.lastrowid

    def get_conversation(self, conversation_id: int) -> Conversation:
        with self._locked():
            row = self._db.execute(
                f"{CONVERSATION_SELECT} WHERE c.id=?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"No conversation with id {conversation_id}. "
                           "See `desktop-llm history list` for the ids.")
        return Conversation(**dict(row))

    def list_conversations(self, limit: int | None = None) -> list[Conversation]:
        sql = f"{CONVERSATION_SELECT} ORDER BY c.updated_at DESC, c.id DESC"
        params: tuple = ()
        if limit:
            sql += " LIMIT ?"
            params = (limit,)
        with self._locked():
            return [Conversation(**dict(r)) for r in self._db.execute(sql, params)]

    def delete_conversation(self, conversation_id: int) -> None:
        self.get_conversation(conversation_id)
        with self._locked():
            self._db.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))

    # -- messages ----------------------------------------------------------------
    def add_message(self, conversation_id: int, role: str, content: str, status: str = "done",
                    model: str = "") -> int:
        with self._transaction():
            return self._insert_message(conversation_id, role, content, status, model)

    def _insert_message(self, conversation_id: int, role: str, content: str, status: str,
                        model: str) -> int:
        """Insert a message and touch its conversation; the caller holds a transaction."""
        ts = now_iso()
        pid = os.getpid() if status == "streaming" else None
        cur = self._db.execute(
            "INSERT INTO messages (conversation_id, role, content, status, model, writer_pid,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (conversation_id, role, content, status, model, pid, ts, ts),
        )
        self._db.execute(
            "UPDATE conversations SET updated_at=?,"
            " title=CASE WHEN title='' AND ?='user' THEN ? ELSE title END WHERE id=?",
            (ts, role, title_from(content), conversation_id),
        )
        return cur.lastrowid

    def update_message(self, message_id: int, content: str, status: str | None = None,
                       stats: dict | None = None, error: str | None = None) -> None:
        sets = ["content=?", "updated_at=?"]
        values: list = [content, now_iso()]
        if status is not None:
            sets.append("status=?")
            values.append(status)
            if status != "streaming":
                sets.append("writer_pid=NULL")
        for key in ("prompt_tokens", "completion_tokens", "ttft_s", "tokens_per_second"):
            if stats and key in stats:
                sets.append(f"{key}=?")
                values.append(stats[key])
        if error is not None:
            sets.append("error=?")
            values.append(error)
        values.append(message_id)
        with self._locked():
            self._db.execute(f"UPDATE messages SET {', '.join(sets)} WHERE id=?", values)

    def messages(self, conversation_id: int) -> list[Message]:
        with self._locked():
            rows = self._db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id=? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [Message(**dict(r)) for r in rows]

    def get_message(self, message_id: int) -> Message:
        with self._locked():
            row = self._db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id=?",
                (message_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"No message with id {message_id}.")
        return Message(**dict(row))

    def close(self) -> None:
        with self._locked():
            self._db.close()


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


