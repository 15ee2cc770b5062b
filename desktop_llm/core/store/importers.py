"""Import conversations: our own JSON export, and other apps' documented formats.

Supported:
- desktop-llm JSON (`history export --format json`): identical round trip,
  branches and settings included.
- LM Studio conversation JSON (`~/.lmstudio/conversations/*.conversation.json`):
  every version of a message becomes an alternative.
- Jan threads (`threads/<id>/messages.jsonl`, with `thread.json` beside it
  for the title and instructions).
- Any JSON with a "messages" list of {"role", "content"} (the OpenAI chat shape).

A file is read and checked completely before anything is stored, and then
stored in one transaction: a malformed file imports nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from desktop_llm.core.errors import UserError
from desktop_llm.core.store.export import CONVERSATION_FIELDS, JSON_FORMAT, JSON_VERSION, MESSAGE_FIELDS
from desktop_llm.core.store.history import History

ROLES = ("system", "user", "assistant")
STATUSES = ("done", "stopped", "error", "interrupted")


class ImportProblem(UserError):
    pass


def import_file(history: History, path: Path) -> int:
    """Import one conversation file; returns the new conversation's id."""
    path = Path(path)
    conversation, messages, current = read_conversation(path)
    return history.insert_conversation(conversation, messages, current)


def read_conversation(path: Path) -> tuple[dict, list[dict], int | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportProblem(f"There is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportProblem(f"{path.name} cannot be read ({exc}).") from exc
    if path.name.endswith(".jsonl"):
        return _from_jan(path, _json_lines(path, text))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImportProblem(f"{path.name} is not valid JSON ({exc}). Nothing was imported.") from exc
    if not isinstance(data, dict):
        raise _unknown(path)
    if data.get("format") == JSON_FORMAT:
        return _from_ours(path, data)
    if isinstance(data.get("messages"), list) and any(
            isinstance(m, dict) and "versions" in m for m in data["messages"]):
        return _from_lm_studio(path, data)
    if "assistants" in data and (path.parent / "messages.jsonl").exists():  # Jan's thread.json
        jsonl = path.parent / "messages.jsonl"
        return _from_jan(jsonl, _json_lines(jsonl, jsonl.read_text(encoding="utf-8")))
    if isinstance(data.get("messages"), list):
        return _from_role_content(path, data)
    raise _unknown(path)


def _unknown(path: Path) -> ImportProblem:
    return ImportProblem(
        f"{path.name} is not a conversation format desktop-llm knows. It imports its own JSON "
        "export, LM Studio conversations, Jan threads (messages.jsonl) and JSON with a "
        "\"messages\" list of role/content pairs."
    )


def _bad(path: Path, where: str, what: str) -> ImportProblem:
    return ImportProblem(f"{path.name}: {where} {what}. Nothing was imported.")


def _check_message(path: Path, where: str, role, content) -> str:
    """The message's text; a message without a known role or text is refused."""
    if role not in ROLES:
        raise _bad(path, where, f"has role {role!r}; expected one of {', '.join(ROLES)}")
    if not isinstance(content, str):
        raise _bad(path, where, "has no text content")
    return content


def _from_ours(path: Path, data: dict) -> tuple[dict, list[dict], int | None]:
    if data.get("version", 0) > JSON_VERSION:
        raise ImportProblem(f"{path.name} was exported by a newer desktop-llm. Update the app to import it.")
    conversation = data.get("conversation")
    messages = data.get("messages")
    if not isinstance(conversation, dict) or not isinstance(messages, list):
        raise _bad(path, "the file", "lacks its conversation or messages")
    seen: set = set()
    out = []
    for i, m in enumerate(messages, 1):
        where = f"message {i}"
        if not isinstance(m, dict):
            raise _bad(path, where, "is not an object")
        _check_message(path, where, m.get("role"), m.get("content"))
        if m.get("id") in seen or m.get("id") is None:
            raise _bad(path, where, "has a missing or repeated id")
        if m.get("parent") is not None and m["parent"] not in seen:
            raise _bad(path, where, "points to a parent that does not come before it")
        status = m.get("status", "done")
        status = "interrupted" if status == "streaming" else status
        if status not in STATUSES:
            raise _bad(path, where, f"has status {status!r}")
        seen.add(m["id"])
        out.append({**{k: m.get(k) for k in MESSAGE_FIELDS if m.get(k) is not None},
                    "id": m["id"], "parent": m.get("parent"), "status": status})
    current = data.get("current")
    if current is not None and current not in seen:
        raise _bad(path, "the file", "names a current message that does not exist")
    return {k: conversation.get(k) for k in CONVERSATION_FIELDS}, out, current


def _chain(messages: list[tuple[str, str, str | None]]) -> tuple[list[dict], int | None]:
    """(role, content, created_at) in order -> one branch of local messages."""
    out = []
    for i, (role, content, created) in enumerate(messages, 1):
        out.append({"id": i, "parent": i - 1 or None, "role": role, "content": content,
                    **({"created_at": created} if created else {})})
    return out, (len(out) or None)


def _from_role_content(path: Path, data: dict) -> tuple[dict, list[dict], int | None]:
    rows: list[tuple[str, str, str | None]] = []
    system = ""
    for i, m in enumerate(data["messages"], 1):
        if not isinstance(m, dict):
            raise _bad(path, f"message {i}", "is not an object")
        content = _check_message(path, f"message {i}", m.get("role"), _text_of(m.get("content")))
        if m["role"] == "system" and not rows:
            system = content
            continue
        rows.append((m["role"], content, None))
    messages, current = _chain(rows)
    title = data.get("title") or data.get("name") or ""
    return {"title": title, "system_prompt": system, "model": data.get("model", "")}, messages, current


def _text_of(content) -> str | None:
    """Text of a content field: a string, or a list of parts (OpenAI, Jan, LM Studio)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                text = part.get("text")
                if isinstance(text, dict):  # Jan: {"value": ..., "annotations": [...]}
                    text = text.get("value")
                if isinstance(text, str):
                    texts.append(text)
        return "\n".join(texts)
    return None


def _ms_to_iso(value) -> str | None:
    if not isinstance(value, (int, float)) or value <= 0:
        return None
    seconds = value / 1000 if value > 1e11 else value  # milliseconds or seconds
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds")


def _lm_studio_text(version: dict) -> str | None:
    if version.get("type") == "multiStep":
        steps = [s for s in version.get("steps", []) if isinstance(s, dict) and s.get("type") == "contentBlock"]
        return "\n".join(_text_of(s.get("content")) or "" for s in steps)
    return _text_of(version.get("content"))


def _from_lm_studio(path: Path, data: dict) -> tuple[dict, list[dict], int | None]:
    out: list[dict] = []
    parent = None
    next_id = 1
    for i, m in enumerate(data["messages"], 1):
        versions = m.get("versions") if isinstance(m, dict) else None
        if not isinstance(versions, list) or not versions:
            raise _bad(path, f"message {i}", "has no versions")
        selected = m.get("currentlySelected", 0)
        if not isinstance(selected, int) or not 0 <= selected < len(versions):
            selected = 0
        chosen = None
        for j, version in enumerate(versions):
            if not isinstance(version, dict):
                raise _bad(path, f"message {i}", "has a version that is not an object")
            content = _lm_studio_text(version)
            _check_message(path, f"message {i}", version.get("role"), content)
            out.append({"id": next_id, "parent": parent, "role": version["role"], "content": content})
            if j == selected:
                chosen = next_id
            next_id += 1
        parent = chosen
    system = data.get("systemPrompt") or ""
    config = data.get("perChatPredictionConfig") or {}
    for f in config.get("fields", []) if isinstance(config, dict) else []:
        if isinstance(f, dict) and f.get("key") == "llm.prediction.systemPrompt" and isinstance(f.get("value"), str):
            system = f["value"]
    created = _ms_to_iso(data.get("createdAt"))
    last_used = data.get("lastUsedModel")
    model = last_used.get("identifier", "") if isinstance(last_used, dict) else ""
    return ({"title": data.get("name") or "", "system_prompt": system, "model": model,
             "created_at": created, "updated_at": created}, out, parent)


def _json_lines(path: Path, text: str) -> list[dict]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise _bad(path, f"line {n}", f"is not valid JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise _bad(path, f"line {n}", "is not an object")
        rows.append(row)
    return rows


def _from_jan(path: Path, rows: list[dict]) -> tuple[dict, list[dict], int | None]:
    chain = []
    for n, row in enumerate(rows, 1):
        content = _check_message(path, f"line {n}", row.get("role"), _text_of(row.get("content")))
        chain.append((row["role"], content, _ms_to_iso(row.get("created_at") or row.get("created"))))
    conversation = {"title": "", "system_prompt": ""}
    thread_file = path.parent / "thread.json"
    if thread_file.exists():
        try:
            thread = json.loads(thread_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            thread = {}
        if isinstance(thread, dict):
            conversation["title"] = thread.get("title") or ""
            assistants = thread.get("assistants") or []
            if assistants and isinstance(assistants[0], dict):
                conversation["system_prompt"] = assistants[0].get("instructions") or ""
                conversation["model"] = (assistants[0].get("model") or {}).get("id", "") \
                    if isinstance(assistants[0].get("model"), dict) else ""
    if chain and chain[0][0] == "system":
        conversation["system_prompt"] = conversation["system_prompt"] or chain[0][1]
        chain = chain[1:]
    messages, current = _chain(chain)
    return conversation, messages, current
