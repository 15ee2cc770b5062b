"""Conversations and messages in SQLite (WAL mode).

The user's message is written before generation starts; the assistant's
message is written while it streams (status 'streaming', then done, stopped
or error), so a crash loses at most the last unflushed second of text. Rows a
dead process left 'streaming' are marked 'interrupted' when the store opens.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.store.migrations import LATEST, MIGRATIONS

TITLE_LENGTH = 60
MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, status, finish_reason, model, prompt_tokens,"
    " completion_tokens, ttft_s, tokens_per_second, error, created_at"
)
CONVERSATION_SELECT = (
    "SELECT c.id, c.title, c.model, c.system_prompt, c.created_at, c.updated_at, c.pinned,"
    " c.deleted_at, c.temperature, c.top_p, c.max_tokens, c.leaf_id,"
    " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id=c.id) AS message_count"
    " FROM conversations c"
)
# Fields a caller may change with update_conversation.
CONVERSATION_FIELDS = ("title", "model", "system_prompt", "pinned", "temperature", "top_p", "max_tokens")
SEARCH_LIMIT = 50
HIT_START, HIT_END = "\x02", "\x03"  # around each match in a search snippet
_LEAF = object()  # parent of a new message: the conversation's current leaf


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
    pinned: bool = False
    deleted_at: str | None = None
    temperature: float | None = None  # None: the default from Settings
    top_p: float | None = None
    max_tokens: int | None = None
    leaf_id: int | None = None  # last message of the branch on screen
    message_count: int = 0

    def as_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "model": self.model,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "pinned": bool(self.pinned), "message_count": self.message_count,
        }


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    status: str
    finish_reason: str  # stop, length or cancelled, for replies
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_s: float | None
    tokens_per_second: float | None
    error: str
    created_at: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def can_continue(self) -> bool:
        """A reply that was cut off (stopped, interrupted or out of tokens)."""
        return self.role == "assistant" and bool(self.content) and (
            self.status in ("stopped", "interrupted") or self.finish_reason == "length")


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    message_id: int
    conversation_title: str
    role: str
    marked_snippet: str  # matches between HIT_START and HIT_END

    @property
    def snippet(self) -> str:
        """The snippet with each match in [brackets], for plain-text output."""
        return self.marked_snippet.replace(HIT_START, "[").replace(HIT_END, "]")

    def as_dict(self) -> dict:
        return {"conversation_id": self.conversation_id, "message_id": self.message_id,
                "title": self.conversation_title, "role": self.role, "snippet": self.snippet}


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must appear
    (as a prefix), and FTS5 operators or quotes are taken literally."""
    words = re.findall(r"\w+", text)
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


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


DATE_GROUPS = ("Pinned", "Today", "Yesterday", "Previous 7 days", "Older")


def date_group(conversation: "Conversation", today: date | None = None) -> str:
    """The heading a conversation is listed under (local dates)."""
    if conversation.pinned:
        return "Pinned"
    today = today or date.today()
    try:
        day = datetime.fromisoformat(conversation.updated_at).astimezone().date()
    except ValueError:
        return "Older"
    age = (today - day).days
    if age <= 0:
        return "Today"
    if age == 1:
        return "Yesterday"
    if age < 8:
        return "Previous 7 days"
    return "Older"


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
                            first_message: str | None = None, **settings) -> int:
        """Create a conversation, with its first user message in the same transaction
        when given, so a failed write never leaves an empty conversation behind.
        `settings` may set temperature, top_p, max_tokens and pinned."""
        ts = now_iso()
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO conversations (title, model, system_prompt, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (title, model, system_prompt, ts, ts),
            )
            conversation_id = cur.lastrowid
            if settings:
                self._update_conversation(conversation_id, settings)
            if first_message is not None:
                self._insert_message(conversation_id, "user", first_message, "done", "")
        return conversation_id

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
        """Conversations not in the trash: pinned first, then the most recent."""
        sql = (f"{CONVERSATION_SELECT} WHERE c.deleted_at IS NULL"
               " ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC")
        params: tuple = ()
        if limit:
            sql += " LIMIT ?"
            params = (limit,)
        with self._locked():
            return [Conversation(**dict(r)) for r in self._db.execute(sql, params)]

    def update_conversation(self, conversation_id: int, **changes) -> Conversation:
        """Change title, model, system prompt, pinned or generation settings."""
        self.get_conversation(conversation_id)
        with self._transaction():
            self._update_conversation(conversation_id, changes)
        return self.get_conversation(conversation_id)

    def _update_conversation(self, conversation_id: int, changes: dict) -> None:
        unknown = set(changes) - set(CONVERSATION_FIELDS)
        if unknown:
            raise ValueError(f"not a conversation field: {sorted(unknown)}")
        if "title" in changes:
            changes["title"] = " ".join(str(changes["title"]).split())
        if not changes:
            return
        sets = ", ".join(f"{k}=?" for k in changes)
        self._db.execute(f"UPDATE conversations SET {sets} WHERE id=?",
                         (*changes.values(), conversation_id))

    def rename_conversation(self, conversation_id: int, title: str) -> Conversation:
        if not title.strip():
            raise UserError("A conversation's title cannot be empty.")
        return self.update_conversation(conversation_id, title=title)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete for good (the command line's delete; the window uses the trash)."""
        self.get_conversation(conversation_id)
        with self._locked():
            self._db.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))

    def trash_conversation(self, conversation_id: int) -> None:
        """Hide a conversation so that its deletion can still be undone."""
        self.get_conversation(conversation_id)
        with self._locked():
            self._db.execute("UPDATE conversations SET deleted_at=? WHERE id=?",
                             (now_iso(), conversation_id))

    def restore_conversation(self, conversation_id: int) -> None:
        self.get_conversation(conversation_id)
        with self._locked():
            self._db.execute("UPDATE conversations SET deleted_at=NULL WHERE id=?", (conversation_id,))

    def empty_trash(self) -> int:
        with self._locked():
            return self._db.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL").rowcount

    # -- messages ----------------------------------------------------------------
    def add_message(self, conversation_id: int, role: str, content: str, status: str = "done",
                    model: str = "", parent_id=_LEAF) -> int:
        """Add a message after `parent_id` (default: the end of the branch on
        screen); the new message becomes the end of that branch."""
        with self._transaction():
            return self._insert_message(conversation_id, role, content, status, model, parent_id)

    def _insert_message(self, conversation_id: int, role: str, content: str, status: str,
                        model: str, parent_id=_LEAF) -> int:
        """Insert a message and touch its conversation; the caller holds a transaction."""
        ts = now_iso()
        pid = os.getpid() if status == "streaming" else None
        if parent_id is _LEAF:
            row = self._db.execute("SELECT leaf_id FROM conversations WHERE id=?",
                                   (conversation_id,)).fetchone()
            parent_id = row[0] if row else None
        cur = self._db.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, model,"
            " writer_pid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (conversation_id, parent_id, role, content, status, model, pid, ts, ts),
        )
        self._db.execute(
            "UPDATE conversations SET updated_at=?, leaf_id=?,"
            " title=CASE WHEN title='' AND ?='user' THEN ? ELSE title END WHERE id=?",
            (ts, cur.lastrowid, role, title_from(content), conversation_id),
        )
        return cur.lastrowid

    def update_message(self, message_id: int, content: str, status: str | None = None,
                       stats: dict | None = None, error: str | None = None,
                       finish_reason: str | None = None) -> None:
        sets = ["content=?", "updated_at=?"]
        values: list = [content, now_iso()]
        if status is not None:
            sets.append("status=?")
            values.append(status)
            sets.append("writer_pid=?")
            values.append(os.getpid() if status == "streaming" else None)
        for key in ("prompt_tokens", "completion_tokens", "ttft_s", "tokens_per_second"):
            if stats and key in stats:
                sets.append(f"{key}=?")
                values.append(stats[key])
        if error is not None:
            sets.append("error=?")
            values.append(error)
        if finish_reason is not None:
            sets.append("finish_reason=?")
            values.append(finish_reason)
        values.append(message_id)
        with self._locked():
            self._db.execute(f"UPDATE messages SET {', '.join(sets)} WHERE id=?", values)

    def messages(self, conversation_id: int, leaf_id: int | None = None) -> list[Message]:
        """The branch on screen (or the one ending at `leaf_id`), oldest first."""
        with self._locked():
            if leaf_id is None:
                row = self._db.execute("SELECT leaf_id FROM conversations WHERE id=?",
                                       (conversation_id,)).fetchone()
                leaf_id = row[0] if row else None
            if leaf_id is None:
                return []
            rows = self._db.execute(
                "WITH RECURSIVE path(id) AS ("
                " SELECT ? UNION ALL"
                " SELECT m.parent_id FROM messages m JOIN path ON m.id = path.id"
                " WHERE m.parent_id IS NOT NULL)"
                f" SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN path AND conversation_id=?"
                " ORDER BY id",
                (leaf_id, conversation_id),
            ).fetchall()
        return [Message(**dict(r)) for r in rows]

    def all_messages(self, conversation_id: int) -> list[Message]:
        """Every message of every branch, oldest first."""
        with self._locked():
            rows = self._db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id=? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [Message(**dict(r)) for r in rows]

    def alternatives(self, conversation_id: int) -> dict[int, list[int]]:
        """For each message, the ids of the versions at its place (itself, its
        regenerated or edited siblings), oldest first."""
        with self._locked():
            rows = self._db.execute(
                "SELECT id, parent_id, role FROM messages WHERE conversation_id=? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        groups: dict[tuple, list[int]] = {}
        for r in rows:
            groups.setdefault((r["parent_id"], r["role"]), []).append(r["id"])
        return {mid: ids for ids in groups.values() for mid in ids}

    def switch_branch(self, message_id: int) -> int:
        """Show the branch through `message_id`, following the newest reply
        below it; returns the branch's last message."""
        message = self.get_message(message_id)
        with self._transaction():
            leaf = message_id
            while True:
                row = self._db.execute("SELECT MAX(id) FROM messages WHERE parent_id=?",
                                       (leaf,)).fetchone()
                if row[0] is None:
                    break
                leaf = row[0]
            self._db.execute("UPDATE conversations SET leaf_id=? WHERE id=?",
                             (leaf, message.conversation_id))
        return leaf

    def get_message(self, message_id: int) -> Message:
        with self._locked():
            row = self._db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id=?",
                (message_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"No message with id {message_id}.")
        return Message(**dict(row))

    # -- search ------------------------------------------------------------------
    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """Messages containing every word of `text`, best matches first.
        Any input is safe: FTS5 syntax in it is taken literally."""
        query = fts_query(text)
        if not query:
            return []
        with self._locked():
            rows = self._db.execute(
                "SELECT m.conversation_id, m.id AS message_id, c.title AS conversation_title,"
                f" m.role, snippet(messages_fts, 0, '{HIT_START}', '{HIT_END}', '…', 14) AS marked_snippet"
                " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                " JOIN conversations c ON c.id = m.conversation_id"
                " WHERE messages_fts MATCH ? AND c.deleted_at IS NULL"
                " ORDER BY rank, m.id DESC LIMIT ?",
                (query, limit),
            ).fetchall()
        return [SearchHit(**dict(r)) for r in rows]

    # -- import --------------------------------------------------------------------
    def insert_conversation(self, conversation: dict, messages: list[dict],
                            leaf: int | None = None) -> int:
        """Store a whole conversation in one transaction (all or nothing).

        Each message dict has a local "id" and "parent" (a local id or None);
        `leaf` is the local id of the message to show last.
        """
        ts = now_iso()
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO conversations (title, model, system_prompt, created_at, updated_at,"
                " pinned, temperature, top_p, max_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation.get("title") or "", conversation.get("model") or "",
                 conversation.get("system_prompt") or "", conversation.get("created_at") or ts,
                 conversation.get("updated_at") or ts, int(bool(conversation.get("pinned"))),
                 conversation.get("temperature"), conversation.get("top_p"),
                 conversation.get("max_tokens")),
            )
            conversation_id = cur.lastrowid
            new_ids: dict = {}
            for m in messages:
                created = m.get("created_at") or ts
                cur = self._db.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, status,"
                    " finish_reason, model, prompt_tokens, completion_tokens, ttft_s,"
                    " tokens_per_second, error, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, new_ids.get(m.get("parent")), m["role"], m["content"],
                     m.get("status", "done"), m.get("finish_reason", ""), m.get("model", ""),
                     m.get("prompt_tokens"), m.get("completion_tokens"), m.get("ttft_s"),
                     m.get("tokens_per_second"), m.get("error", ""), created, created),
                )
                new_ids[m["id"]] = cur.lastrowid
            leaf_id = new_ids.get(leaf) if leaf is not None else (cur.lastrowid if messages else None)
            self._db.execute("UPDATE conversations SET leaf_id=? WHERE id=?", (leaf_id, conversation_id))
        return conversation_id

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


