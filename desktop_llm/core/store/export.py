"""Export a conversation as Markdown, HTML, JSON, DOCX or plain text.

JSON carries everything (every branch, settings and stats) and imports back
identically; the other formats show the branch on screen, for reading.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from pathlib import Path

from desktop_llm.core import markdown
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.readers import read_markdown
from desktop_llm.core.documents.writers import to_docx as documents_docx
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import safe_filename, save_file
from desktop_llm.core.store.history import History
from desktop_llm.core.store.records import Conversation, Message, MessageStatus

FORMATS = ("md", "html", "json", "docx", "txt")
JSON_FORMAT = "desktop-llm-conversation"
JSON_VERSION = 1
ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}
MESSAGE_FIELDS = ("role", "content", "status", "finish_reason", "model", "prompt_tokens",
                  "completion_tokens", "ttft_s", "tokens_per_second", "error", "created_at", "sources")
CONVERSATION_FIELDS = ("title", "model", "system_prompt", "created_at", "updated_at", "pinned",
                       "temperature", "top_p", "max_tokens")


def conversation_dict(history: History, conversation_id: int) -> dict:
    """Our JSON: messages numbered 1..n, each pointing at its parent's number."""
    conversation = history.get_conversation(conversation_id)
    messages = history.all_messages(conversation_id)
    number: dict[int | None, int] = {m.id: i for i, m in enumerate(messages, 1)}
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "conversation": {k: getattr(conversation, k) for k in CONVERSATION_FIELDS}
        | {"pinned": bool(conversation.pinned)},
        "messages": [
            {"id": number[m.id], "parent": number.get(m.parent_id),
             **{k: getattr(m, k) for k in MESSAGE_FIELDS}}
            for m in messages
        ],
        "current": number.get(conversation.leaf_id),
    }


def _title(conversation: Conversation) -> str:
    return conversation.title or "Untitled conversation"


def _subtitle(conversation: Conversation) -> str:
    return f"{conversation.model or 'unknown model'} · {conversation.created_at[:16].replace('T', ' ')}"


def _status_note(m: Message) -> str:
    return "" if m.status == MessageStatus.DONE else f" ({m.status.value})"


def _as_text(conversation: Conversation, messages: list[Message], head: str, system: str,
             message: str) -> str:
    parts = [head.format(title=_title(conversation), subtitle=_subtitle(conversation))]
    if conversation.system_prompt:
        parts.append(system.format(conversation.system_prompt))
    for m in messages:
        who = ROLE_NAMES.get(m.role, m.role) + _status_note(m)
        parts.append(message.format(who=who, text=m.content + _sources_note(m)))
    return "\n".join(parts)


def _sources_note(m: Message) -> str:
    """A grounded reply's sources, listed under it."""
    try:
        sources = json.loads(m.sources) if m.sources else []
    except ValueError:
        return ""
    lines = [f"[{s['n']}] {Path(s['file']).name}" + (f", page {s['page']}" if s.get("page") else "")
             + (f", {s['heading']}" if s.get("heading") else "") for s in sources if isinstance(s, dict)]
    return ("\n\nSources:\n" + "\n".join(lines)) if lines else ""


def to_markdown(conversation: Conversation, messages: list[Message]) -> str:
    return _as_text(conversation, messages, "# {title}\n\n_{subtitle}_\n", "**System prompt:** {}\n",
                    "## {who}\n\n{text}\n")


def to_text(conversation: Conversation, messages: list[Message]) -> str:
    return _as_text(conversation, messages, "{title}\n{subtitle}\n", "System prompt: {}\n",
                    "{who}:\n{text}\n")


def to_html(conversation: Conversation, messages: list[Message]) -> str:
    title = html.escape(_title(conversation))
    body = [f"<h1>{title}</h1>", f"<p class='meta'>{html.escape(_subtitle(conversation))}</p>"]
    if conversation.system_prompt:
        body.append(f"<p class='meta'><b>System prompt:</b> {html.escape(conversation.system_prompt)}</p>")
    for m in messages:
        who = html.escape(ROLE_NAMES.get(m.role, m.role) + _status_note(m))
        body.append(f"<section class='{m.role}'><h2>{who}</h2>{markdown.to_html(m.content)}</section>")
    style = ("body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;line-height:1.5}"
             "section{border:1px solid #ddd;border-radius:8px;padding:0 1em;margin:1em 0}"
             "section.user{background:#e8f0fe}.meta{color:#666}h2{font-size:1em}")
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def to_docx(conversation: Conversation, messages: list[Message]) -> bytes:
    """The conversation as a Word document; each message keeps its headings,
    lists, bold, italic, links, tables and code (the documents' .docx writer)."""
    blocks = [Block("heading", (Span(_title(conversation)),), level=1),
              Block("paragraph", (Span(_subtitle(conversation), italic=True),))]
    if conversation.system_prompt:
        blocks.append(Block("paragraph", (Span("System prompt: ", bold=True), Span(conversation.system_prompt))))
    tables = 0
    for m in messages:
        blocks.append(Block("heading", (Span(ROLE_NAMES.get(m.role, m.role) + _status_note(m)),), level=2))
        body = read_markdown(m.content).blocks
        for b in body:  # each message's tables numbered after the ones before
            blocks.append(replace(b, cell=(tables + b.cell[0], *b.cell[1:])) if b.cell else b)
        tables += len({b.cell[0] for b in body if b.cell})
    return documents_docx(Document(blocks, "docx"))


def render(history: History, conversation_id: int, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise UserError(f"Unknown export format {fmt!r}. Choose one of: {', '.join(FORMATS)}.")
    if fmt == "json":
        data = conversation_dict(history, conversation_id)
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    conversation = history.get_conversation(conversation_id)
    messages = history.messages(conversation_id)
    if fmt == "docx":
        return to_docx(conversation, messages)
    writer = {"md": to_markdown, "html": to_html, "txt": to_text}[fmt]
    return writer(conversation, messages).encode("utf-8")


def export_conversation(history: History, conversation_id: int, fmt: str, path: Path) -> Path:
    return save_file(path, render(history, conversation_id, fmt))


def default_filename(conversation: Conversation, fmt: str) -> str:
    return safe_filename(_title(conversation), fmt, "conversation")
