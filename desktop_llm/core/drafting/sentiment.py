"""Sentiment of customer feedback: every message labelled positive, neutral
or negative with a reason, then the trends. Messages go to the model a few
at a time; the grammar makes each answer open with the words of the message
it belongs to, so a label cannot slip onto the next row."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterator

from desktop_llm.core.completions import complete
from desktop_llm.core.drafting.structured import json_token_budget, structured, text_schema
from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Finished, Progress, Steps, Token
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.models import ModelRef

LABELS = ("positive", "neutral", "negative")
ROWS_PER_REQUEST = 8
REASON_CHARS = 100
OPENING_WORDS = 6  # of each message, written back before its label
OPENING_CHARS = 40


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str
    reason: str


@dataclass(frozen=True)
class Analysis:
    rows: list[Labelled]
    trends: str

    @property
    def counts(self) -> dict:
        return {label: sum(r.label == label for r in self.rows) for label in LABELS}

    def as_dict(self) -> dict:
        return {"rows": [r.__dict__ for r in self.rows], "counts": self.counts, "trends": self.trends}


def opening(text: str) -> str:
    """The first words of a message: what the answer for it must start with."""
    words = " ".join(text.split()[:OPENING_WORDS])
    return words[:OPENING_CHARS]


def batch_schema(batch: list[str]) -> dict:
    """One answer per message, in order, each opening with that message's first words."""
    def item(text: str) -> dict:
        return {"type": "object", "required": ["message", "label", "reason"], "properties": {
            "message": {"const": opening(text)},
            "label": {"type": "string", "enum": list(LABELS)},
            "reason": text_schema(REASON_CHARS)}}
    return {"type": "object", "required": ["results"], "properties": {"results": {
        "type": "array", "prefixItems": [item(text) for text in batch], "items": False}}}


def analysis_job(params: GenerationParams, rows: list[str], model: ModelRef):
    def job(ctx: HostContext) -> Iterator[Event]:
        yield from ctx.engine_for(model)
        labelled: list[Labelled] = []
        for start in range(0, len(rows), ROWS_PER_REQUEST):
            if start:
                yield from ctx.give_way()
            labelled += yield from _label(ctx, params, rows[start:start + ROWS_PER_REQUEST], start, len(rows))
        yield Progress(len(rows), len(rows), "Summarizing the trends")
        trends = yield from _trends(ctx, params, labelled)
        yield Finished(Analysis(labelled, trends))
    return job


def analyze(host: ModelHost, params: GenerationParams, lines: list[str], model: ModelRef, listener=None) -> Job:
    rows = [line.strip() for line in lines if line.strip()]
    if not rows:
        raise UserError("There is no feedback to analyse: the text is empty.")
    return host.submit(analysis_job(params, rows, model), listener, kind=JobKind.ANALYZE, info={"rows": len(rows)})


def _label(ctx, params: GenerationParams, batch: list[str], start: int, total: int) -> Steps[list[Labelled]]:
    """Labels for a batch; progress says which messages are being read, then
    which one is being labelled, as the answer is written."""
    first, last = start + 1, start + len(batch)
    written = ""

    def relabel(event: Event) -> Event | None:
        nonlocal written
        if isinstance(event, Progress):  # reading the prompt, before any answer: a retry starts again
            written = ""
            if not event.total:  # a note (the answer is written again): said, the bar kept where it is
                return Progress(start, total, event.label)
            share = f", {100 * event.done // event.total}%"
            return Progress(start, total, f"Reading messages {first}–{last} of {total}{share}")
        if isinstance(event, Token):
            before = written.count('"label"')
            written += event.text
            done = written.count('"label"')
            if done > before and done <= len(batch):
                return Progress(start + done - 1, total, f"Labelling message {start + done} of {total}")
            return None
        return event

    numbered = "\n".join(f"{i + 1}. {text}" for i, text in enumerate(batch))
    messages = [
        {"role": "system", "content": "You label customer feedback as positive, neutral or negative, "
                                      "with a reason of a few words about that message."},
        {"role": "user", "content": f"Label each of these {len(batch)} messages, in order:\n{numbered}\n"
                                    "Answer in JSON: {\"results\": [{\"message\": first words of the message, "
                                    "\"label\": ..., \"reason\": ...}]}."}]
    budget = json_token_budget((REASON_CHARS + OPENING_CHARS + 40) * len(batch))
    params = replace(params, json_schema=batch_schema(batch), temperature=0.2, max_tokens=budget)
    yield Progress(start, total, f"Reading messages {first}–{last} of {total}")
    results = (yield from structured(ctx, messages, params, relabel))["results"]
    return [Labelled(text, r["label"], _sentence(r["reason"])) for text, r in zip(batch, results, strict=True)]


def _sentence(reason: str) -> str:
    return re.sub(r"\s+", " ", reason).strip()


def _trends(ctx, params: GenerationParams, rows: list[Labelled]) -> Steps[str]:
    counts = {label: sum(r.label == label for r in rows) for label in LABELS}
    sample = "\n".join(f"- {r.label}: {r.reason}" for r in rows[:60])
    messages = [{"role": "user", "content": (
        f"Customer feedback: {counts['positive']} positive, {counts['neutral']} neutral, "
        f"{counts['negative']} negative. Reasons given:\n{sample}\n"
        "In two or three sentences, summarize the main trends: what customers like and what they complain about.")}]
    params = replace(params, max_tokens=min(params.max_tokens, 200))
    return (yield from complete(ctx, messages, params))
