"""Summaries of documents of any length, by map-reduce: each part that fits
the model's context is summarized, then the summaries are combined (again in
parts, while they are too long together). The final summary streams."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Iterator

from desktop_llm.core.chat import params_from
from desktop_llm.core.completions import complete
from desktop_llm.core.documents.chunking import chunk_blocks
from desktop_llm.core.documents.model import Block, Document
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Finished, Progress
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.models import ModelRef
from desktop_llm.core.settings import Settings

STYLES = {
    "bullets": "as a bulleted list of the main points",
    "paragraph": "as one well-written paragraph",
    "tldr": "in one or two sentences (TL;DR)",
    "keypoints": "as key points followed by a list of action items",
}
LENGTHS = {"short": 120, "medium": 250, "long": 450}  # tokens of the final summary
PART_TOKENS = 160  # each part's summary
MARGIN = 48
COVER_EVERY_PART = (" The text is the summaries of the document's parts, in order: cover every part, from the "
                    "first to the last, giving each its due.")


@dataclass(frozen=True)
class Summary:
    text: str
    chunks: int  # parts of the document summarized
    input_tokens: int
    seconds: float

    def as_dict(self) -> dict:
        return {"summary": self.text, "chunks": self.chunks, "input_tokens": self.input_tokens,
                "seconds": round(self.seconds, 2)}


def _messages(text: str, instruction: str) -> list[dict]:
    return [{"role": "system", "content": "You summarize documents faithfully, without adding anything."},
            {"role": "user", "content": f"{instruction}\n\n---\n{text}\n---"}]


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
        in_language = f" Write it in {language}." if language else " Write it in the document's language."
        final_instruction = f"Summarize this document {STYLES[style]}.{in_language}"
        part_instruction = ("Summarize this part of a longer document: keep every fact, name, number and "
                            f"decision that matters.{in_language}")

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            t0 = time.perf_counter()
            engine = ctx.engine

            count = engine.count_text

            base = params_from(self.settings)
            overhead = engine.count_tokens(_messages("", final_instruction + COVER_EVERY_PART))
            budget = engine.n_ctx - overhead - max(LENGTHS[length], PART_TOKENS) - MARGIN
            if budget < 64:
                raise UserError("The model's context is too small to summarize with. Raise the context size "
                                "in Settings.")
            yield Progress(0, 1, f"Reading the document ({len(doc.text.split()):,} words)")
            input_tokens = count(doc.text)
            blocks, parts_done, rounds = list(doc.blocks), 0, 0
            while True:
                chunks = chunk_blocks(blocks, count, budget)
                if len(chunks) == 1:
                    break
                rounds += 1
                summaries = []
                started = time.perf_counter()
                for i, chunk in enumerate(chunks):
                    eta = (time.perf_counter() - started) / i * (len(chunks) - i) if i else None
                    label = f"Summarizing part {i + 1} of {len(chunks)}" + (
                        f" (round {rounds})" if rounds > 1 else "") + (f", about {eta:.0f} s left" if eta else "")
                    yield Progress(i, len(chunks), label)
                    text = "\n\n".join(b.text for b in chunk)
                    params = replace(base, max_tokens=PART_TOKENS, temperature=min(base.temperature, 0.3))
                    summary = yield from complete(ctx, _messages(text, part_instruction), params, progress=False)
                    summaries.append(summary)
                parts_done += len(chunks)
                # Each part's summary says where in the document it comes from, so the next round
                # (and the final summary) can cover the beginning as well as the end.
                blocks = [Block("paragraph").with_text(f"Part {i + 1} of {len(summaries)}: {summary}")
                          for i, summary in enumerate(summaries)]
            yield Progress(1, 1, "Writing the summary")
            text = "\n\n".join(b.text for b in chunks[0])
            params = replace(base, max_tokens=LENGTHS[length])
            instruction = final_instruction + (COVER_EVERY_PART if rounds else "")
            final = yield from complete(ctx, _messages(text, instruction), params, stream=True,
                                        progress=False)
            yield Finished(Summary(final, max(parts_done, 1), input_tokens, time.perf_counter() - t0))

        return self.host.submit(job, listener, kind=JobKind.SUMMARIZE, info={"blocks": len(doc.blocks)})
