"""The rows of the history as plain objects, and the small rules about them
(titles, list headings, search snippets)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from desktop_llm.core.enums import TextEnum


class MessageStatus(TextEnum):
    STREAMING = "streaming"  # being written; a crash leaves it so until the next start
    DONE = "done"
    STOPPED = "stopped"  # the user stopped it
    ERROR = "error"
    INTERRUPTED = "interrupted"  # the writing process died


TITLE_LENGTH = 60


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
    libraries: str = ""  # JSON list of the libraries its answers are grounded in
    message_count: int = 0

    @property
    def library_names(self) -> list[str]:
        try:
            names = json.loads(self.libraries) if self.libraries else []
        except ValueError:
            return []
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

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
    status: MessageStatus
    finish_reason: str  # stop, length or cancelled, for replies
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_s: float | None
    tokens_per_second: float | None
    error: str
    created_at: str
    sources: str = ""  # a grounded reply's passages, as JSON (see core.library.grounding)

    def __post_init__(self):
        object.__setattr__(self, "status", MessageStatus(self.status))

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"status": self.status.value}

    @property
    def can_continue(self) -> bool:
        """A reply that was cut off (stopped, interrupted or out of tokens)."""
        return self.role == "assistant" and bool(self.content) and (
            self.status in (MessageStatus.STOPPED, MessageStatus.INTERRUPTED) or self.finish_reason == "length")


HIT_START, HIT_END = "\x02", "\x03"  # around each match in a search snippet


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
