"""Conversations and messages in SQLite (WAL mode).

The user's message is written before generation starts; the assistant's
message is written while it streams (status 'streaming', then done, stopped
or error), so a crash loses at most the last unflushed second of text. Rows a
dead process left 'streaming' are marked 'interrupted' when the store opens.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.store.db import Database
from desktop_llm.core.store.migrations import MIGRATIONS
from desktop_llm.core.store.records import (
    HIT_END,
    HIT_START,
    Conversation,
    Message,
    MessageStatus,
    SearchHit,
    fts_query,
    now_iso,
    title_from,
)
from desktop_llm.core.store.recovery import damage_of, damaged

MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, status, finish_reason, model, prompt_tokens,"
    " completion_tokens, ttft_s, tokens_per_second, error, created_at, sources"
)
CONVERSATION_SELECT = (
    "SELECT c.id, c.title, c.model, c.system_prompt, c.created_at, c.updated_at, c.pinned,"
    " c.deleted_at, c.temperature, c.top_p, c.max_tokens, c.leaf_id, c.libraries,"
    " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id=c.id) AS message_count"
    " FROM conversations c"
)
# Fields a caller may change with update_conversation.
CONVERSATION_FIELDS = ("title", "model", "system_prompt", "pinned", "temperature", "top_p", "max_tokens",
                       "libraries")
SEARCH_LIMIT = 50
_LEAF = object()  # parent of a new message: the conversation's current leaf


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


class History(Database):
    """Conversations and their messages (a tree of branches) in the history file."""

    def __init__(self, path: Path):
        found = damage_of(Path(path))  # read-only: a damaged file is never written to
        if found:
            raise damaged(Path(path), found)
        super().__init__(path, MIGRATIONS, "the history")
        if not self.read_only:
            try:
                self.recover_interrupted()
            except sqlite3.DatabaseError as exc:
                self.connection.close()
                raise damaged(self.path, str(exc)) from exc

    # -- recovery ------------------------------------------------------------
    def recover_interrupted(self) -> int:
        """Mark rows left 'streaming' by a process that no longer runs."""
        with self.locked():
            rows = self.execute(
                "SELECT id, writer_pid FROM messages WHERE status=?", (MessageStatus.STREAMING,)
            ).fetchall()
            dead = [r["id"] for r in rows if not _pid_alive(r["writer_pid"])]
            for message_id in dead:
                self.execute(
                    "UPDATE messages SET status=?, updated_at=? WHERE id=?",
                    (MessageStatus.INTERRUPTED, now_iso(), message_id),
                )
            return len(dead)

    # -- conversations ---------------------------------------------------------
    def create_conversation(self, title: str = "", model: str = "", system_prompt: str = "",
                            first_message: str | None = None, **settings) -> int:
        """Create a conversation, with its first user message in the same transaction
        when given, so a failed write never leaves an empty conversation behind.
        `settings` may set temperature, top_p, max_tokens and pinned."""
        ts = now_iso()
        with self.transaction():
            conversation_id = self.insert(
                "INSERT INTO conversations (title, model, system_prompt, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (title, model, system_prompt, ts, ts),
            )
            if settings:
                self._update_conversation(conversation_id, settings)
            if first_message is not None:
                self._insert_message(conversation_id, "user", first_message, MessageStatus.DONE, "")
        return conversation_id

    def get_conversation(self, conversation_id: int) -> Conversation:
        with self.locked():
            row = self.execute(
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
        with self.locked():
            return [Conversation(**dict(r)) for r in self.execute(sql, params)]

    def update_conversation(self, conversation_id: int, **changes) -> Conversation:
        """Change title, model, system prompt, pinned or generation settings."""
        self.get_conversation(conversation_id)
        with self.transaction():
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
        self.execute(f"UPDATE conversations SET {sets} WHERE id=?",
                         (*changes.values(), conversation_id))

    def rename_conversation(self, conversation_id: int, title: str) -> Conversation:
        if not title.strip():
            raise UserError("A conversation's title cannot be empty.")
        return self.update_conversation(conversation_id, title=title)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete for good (the command line's delete; the window uses the trash)."""
        self.get_conversation(conversation_id)
        with self.locked():
            self.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))

    def trash_conversation(self, conversation_id: int) -> None:
        """Hide a conversation so that its deletion can still be undone."""
        self.get_conversation(conversation_id)
        with self.locked():
            self.execute("UPDATE conversations SET deleted_at=? WHERE id=?",
                             (now_iso(), conversation_id))

    def restore_conversation(self, conversation_id: int) -> None:
        self.get_conversation(conversation_id)
        with self.locked():
            self.execute("UPDATE conversations SET deleted_at=NULL WHERE id=?", (conversation_id,))

    def empty_trash(self) -> int:
        with self.locked():
            return self.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL").rowcount

    # -- messages ----------------------------------------------------------------
    def add_message(self, conversation_id: int, role: str, content: str, status: MessageStatus = MessageStatus.DONE,
                    model: str = "", parent_id=_LEAF) -> int:
        """Add a message after `parent_id` (default: the end of the branch on
        screen); the new message becomes the end of that branch."""
        with self.transaction():
            return self._insert_message(conversation_id, role, content, status, model, parent_id)

    def _insert_message(self, conversation_id: int, role: str, content: str, status: MessageStatus,
                        model: str, parent_id=_LEAF) -> int:
        """Insert a message and touch its conversation; the caller holds a transaction."""
        ts = now_iso()
        pid = os.getpid() if status == MessageStatus.STREAMING else None
        if parent_id is _LEAF:
            row = self.execute("SELECT leaf_id FROM conversations WHERE id=?",
                                   (conversation_id,)).fetchone()
            parent_id = row[0] if row else None
        message_id = self.insert(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, model,"
            " writer_pid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (conversation_id, parent_id, role, content, status, model, pid, ts, ts),
        )
        self.execute(
            "UPDATE conversations SET updated_at=?, leaf_id=?,"
            " title=CASE WHEN title='' AND ?='user' THEN ? ELSE title END WHERE id=?",
            (ts, message_id, role, title_from(content), conversation_id),
        )
        return message_id

    def update_message(self, message_id: int, content: str, status: MessageStatus | None = None,
                       stats: dict | None = None, error: str | None = None,
                       finish_reason: str | None = None, sources: str | None = None) -> None:
        sets = ["content=?", "updated_at=?"]
        values: list = [content, now_iso()]
        if status is not None:
            sets.append("status=?")
            values.append(status)
            sets.append("writer_pid=?")
            values.append(os.getpid() if status == MessageStatus.STREAMING else None)
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
        if sources is not None:
            sets.append("sources=?")
            values.append(sources)
        values.append(message_id)
        with self.locked():
            self.execute(f"UPDATE messages SET {', '.join(sets)} WHERE id=?", values)

    def messages(self, conversation_id: int, leaf_id: int | None = None) -> list[Message]:
        """The branch on screen (or the one ending at `leaf_id`), oldest first."""
        with self.locked():
            if leaf_id is None:
                row = self.execute("SELECT leaf_id FROM conversations WHERE id=?",
                                       (conversation_id,)).fetchone()
                leaf_id = row[0] if row else None
            if leaf_id is None:
                return []
            rows = self.execute(
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
        with self.locked():
            rows = self.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id=? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [Message(**dict(r)) for r in rows]

    def alternatives(self, conversation_id: int) -> dict[int, list[int]]:
        """For each message, the ids of the versions at its place (itself, its
        regenerated or edited siblings), oldest first."""
        with self.locked():
            rows = self.execute(
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
        with self.transaction():
            leaf = message_id
            while True:
                row = self.execute("SELECT MAX(id) FROM messages WHERE parent_id=?",
                                       (leaf,)).fetchone()
                if row[0] is None:
                    break
                leaf = row[0]
            self.execute("UPDATE conversations SET leaf_id=? WHERE id=?",
                             (leaf, message.conversation_id))
        return leaf

    def get_message(self, message_id: int) -> Message:
        with self.locked():
            row = self.execute(
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
        with self.locked():
            rows = self.execute(
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
        with self.transaction():
            conversation_id = self.insert(
                "INSERT INTO conversations (title, model, system_prompt, created_at, updated_at,"
                " pinned, temperature, top_p, max_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation.get("title") or "", conversation.get("model") or "",
                 conversation.get("system_prompt") or "", conversation.get("created_at") or ts,
                 conversation.get("updated_at") or ts, int(bool(conversation.get("pinned"))),
                 conversation.get("temperature"), conversation.get("top_p"),
                 conversation.get("max_tokens")),
            )
            new_ids: dict = {}
            last_id = None
            for m in messages:
                created = m.get("created_at") or ts
                last_id = new_ids[m["id"]] = self.insert(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, status,"
                    " finish_reason, model, prompt_tokens, completion_tokens, ttft_s,"
                    " tokens_per_second, error, created_at, updated_at, sources)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, new_ids.get(m.get("parent")), m["role"], m["content"],
                     m.get("status", MessageStatus.DONE), m.get("finish_reason", ""), m.get("model", ""),
                     m.get("prompt_tokens"), m.get("completion_tokens"), m.get("ttft_s"),
                     m.get("tokens_per_second"), m.get("error", ""), created, created,
                     m.get("sources") if isinstance(m.get("sources"), str) else ""),
                )
            leaf_id = new_ids.get(leaf) if leaf is not None else last_id
            self.execute("UPDATE conversations SET leaf_id=? WHERE id=?", (leaf_id, conversation_id))
        return conversation_id
