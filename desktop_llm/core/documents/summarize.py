"""Summaries of documents of any length (the Documents page's Summarize, the
CLI's summarize): the parts are summarized and combined (summary_steps), then
the final summary streams."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator

from desktop_llm.core.chat import params_from
from desktop_llm.core.documents.model import Document
from desktop_llm.core.documents.summary_steps import LENGTHS, STYLES, summary_prompt, written
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Finished
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.models import ModelRef
from desktop_llm.core.settings import Settings


@dataclass(frozen=True)
class Summary:
    text: str
    chunks: int  # parts of the document summarized
    input_tokens: int
    seconds: float
    notes: list[str] = field(default_factory=list)  # what the app had to do (a rewrite of a repetitive part)

    def as_dict(self) -> dict:
        return {"summary": self.text, "chunks": self.chunks, "input_tokens": self.input_tokens,
                "seconds": round(self.seconds, 2), "notes": self.notes}


def summary_conversation(history, summary: Summary, document_name: str, model_name: str) -> int:
    """A new conversation holding the summary, so the user can ask about it."""
    conversation_id = history.create_conversation(title=f"Summary of {document_name}", model=model_name,
                                                  first_message=f"Summarize {document_name}.")
    history.add_message(conversation_id, "assistant", summary.text, model=model_name)
    return conversation_id


class Summarizer:
    def __init__(self, host: ModelHost, settings: Settings):
        self.host = host
        self.settings = settings

    def summarize(self, doc: Document, model: ModelRef, style: str = "bullets", length: str = "medium",
                  language: str = "", listener=None) -> Job:
        if style not in STYLES:
            raise UserError(f"Unknown style “{style}”. Styles: {', '.join(STYLES)}.")
        if length not in LENGTHS:
            raise UserError(f"Unknown length “{length}”. Lengths: {', '.join(LENGTHS)}.")

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            t0 = time.perf_counter()
            prompt = yield from summary_prompt(ctx, doc, params_from(self.settings), style, length, language)
            final = yield from written(ctx, prompt.messages, prompt.params, None, prompt.notes, stream=True)
            yield Finished(Summary(final, max(prompt.parts, 1), prompt.input_tokens, time.perf_counter() - t0,
                                   prompt.notes))

        return self.host.submit(job, listener, kind=JobKind.SUMMARIZE, info={"blocks": len(doc.blocks)})
