"""Drafts of the writing workspace, in the history file: the text as last
autosaved, and a version kept at each step that matters (a variant used, a
rewrite accepted) and at least every few minutes of editing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from desktop_llm.core.errors import NotFound
from desktop_llm.core.store.history import History
from desktop_llm.core.store.records import now_iso

VERSION_EVERY_S = 300  # autosaves keep a version at least this often


@dataclass(frozen=True)
class Draft:
    id: int
    title: str
    template: str
    fields: dict
    body: str
    created_at: str
    updated_at: str

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        first = next((line.strip("# ").strip() for line in self.body.splitlines() if line.strip()), "")
        return first[:60] or "Untitled draft"


@dataclass(frozen=True)
class DraftVersion:
    id: int
    draft_id: int
    body: str
    note: str
    created_at: str


def _draft(row) -> Draft:
    return Draft(row["id"], row["title"], row["template"], json.loads(row["fields"] or "{}"), row["body"],
                 row["created_at"], row["updated_at"])


Versions = list[DraftVersion]  # (`list` is also a method of Drafts)


class Drafts:
    def __init__(self, history: History):
        self.history = history  # one file, one connection, one lock

    def create(self, title: str = "", template: str = "", fields: dict | None = None, body: str = "") -> Draft:
        stamp = now_iso()
        with self.history.transaction():
            draft_id = self.history.insert(
                "INSERT INTO drafts (title, template, fields, body, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                (title, template, json.dumps(fields or {}), body, stamp, stamp))
        return self.get(draft_id)

    def get(self, draft_id: int) -> Draft:
        with self.history.locked():
            row = self.history.execute("SELECT * FROM drafts WHERE id=?", (draft_id,)).fetchone()
        if row is None:
            raise NotFound(f"No draft {draft_id}.")
        return _draft(row)

    def list(self) -> list[Draft]:
        with self.history.locked():
            rows = self.history.execute("SELECT * FROM drafts ORDER BY updated_at DESC, id DESC").fetchall()
        return [_draft(r) for r in rows]

    def save(self, draft_id: int, body: str, *, title: str | None = None, template: str | None = None,
             fields: dict | None = None, note: str = "") -> Draft:
        """Store the text; keep a version when `note` says why, or when the
        last version is older than VERSION_EVERY_S."""
        old = self.get(draft_id)
        stamp = now_iso()
        with self.history.transaction():
            self.history.execute(
                "UPDATE drafts SET body=?, title=?, template=?, fields=?, updated_at=? WHERE id=?",
                (body, old.title if title is None else title, old.template if template is None else template,
                 json.dumps(old.fields if fields is None else fields), stamp, draft_id))
            last = self.history.execute(
                "SELECT body, created_at FROM draft_versions WHERE draft_id=? ORDER BY id DESC LIMIT 1",
                (draft_id,)).fetchone()
            stale = last is None or _age_s(last["created_at"], stamp) >= VERSION_EVERY_S
            if (note or stale) and (last is None or last["body"] != body):
                self.history.execute(
                    "INSERT INTO draft_versions (draft_id, body, note, created_at) VALUES (?,?,?,?)",
                    (draft_id, body, note or "Autosave", stamp))
        return self.get(draft_id)

    def restore(self, draft_id: int, version: DraftVersion, current_body: str) -> Draft:
        """Bring `version` back; the text it replaces is kept as a version first."""
        self.save(draft_id, current_body, note="Before restoring")
        return self.save(draft_id, version.body, note=f"Restored the version of {version.created_at[:16]}")

    def versions(self, draft_id: int) -> Versions:
        with self.history.locked():
            rows = self.history.execute(
                "SELECT * FROM draft_versions WHERE draft_id=? ORDER BY id DESC", (draft_id,)).fetchall()
        return [DraftVersion(r["id"], r["draft_id"], r["body"], r["note"], r["created_at"]) for r in rows]

    def delete(self, draft_id: int) -> None:
        with self.history.transaction():
            self.history.execute("DELETE FROM drafts WHERE id=?", (draft_id,))


def _age_s(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
