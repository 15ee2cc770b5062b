"""The map-reduce half of a summary: each part of a document that fits the
model's context is summarized, then the summaries are combined (again in parts,
while they are too long together), until one prompt holds it all. What that
prompt's reply is for (a summary of the Documents page, a chat reply about a
library's file) is up to the caller, who streams it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

from desktop_llm.core.completions import complete
from desktop_llm.core.documents.chunking import chunk_blocks
from desktop_llm.core.documents.model import Block, Document
from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Progress, Steps, Token, relayed
from desktop_llm.core.host import HostContext
from desktop_llm.core.repetition import RETRY_PENALTY, repetitive, without_repeats

STYLES = {
    "bullets": "as a bulleted list of the main points",
    "paragraph": "as one well-written paragraph",
    "tldr": "in one or two sentences (TL;DR)",
    "keypoints": "as key points followed by a list of action items",
}
LENGTHS = {"short": 120, "medium": 250, "long": 450}  # tokens of the final summary
PART_TOKENS = 160  # each part's summary
MARGIN = 48
TOKENS_PER_REPORT = 8
COVER_EVERY_PART = (" The text is the summaries of the document's parts, in order: cover every part, from the "
                    "first to the last, giving each its due.")


@dataclass(frozen=True)
class SummaryPrompt:
    messages: list[dict]  # the last prompt: the whole document, or its parts' summaries
    params: GenerationParams  # for the final summary
    parts: int  # parts of the document summarized on the way (0: it fitted at once)
    input_tokens: int
    notes: list[str] = field(default_factory=list)  # what the app had to do on the way


def _messages(text: str, instruction: str) -> list[dict]:
    return [{"role": "system", "content": "You summarize documents faithfully, without adding anything."},
            {"role": "user", "content": f"{instruction}\n\n---\n{text}\n---"}]


def summary_prompt(ctx: HostContext, doc: Document, base: GenerationParams, style: str = "bullets",
                   length: str = "medium", language: str = "") -> Steps[SummaryPrompt]:
    """Inside a job with the model loaded: summarize the parts (yielding progress) and return the prompt
    whose reply is the summary."""
    in_language = f" Write it in {language}." if language else " Write it in the document's language."
    final_instruction = f"Summarize this document {STYLES[style]}.{in_language}"
    part_instruction = ("Summarize this part of a longer document: keep every fact, name, number and "
                        f"decision that matters.{in_language}")
    engine = ctx.engine
    overhead = engine.count_tokens(_messages("", final_instruction + COVER_EVERY_PART))
    budget = engine.n_ctx - overhead - max(LENGTHS[length], PART_TOKENS) - MARGIN
    if budget < 64:
        raise UserError("The model's context is too small to summarize with. Raise the context size "
                        "in Settings.")
    yield Progress(0, 1, f"Reading the document ({len(doc.text.split()):,} words)")
    input_tokens = engine.count_text(doc.text)
    blocks, parts_done, rounds = list(doc.blocks), 0, 0
    notes: list[str] = []
    while True:
        chunks = chunk_blocks(blocks, engine.count_text, budget)
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
            summary = yield from written(ctx, _messages(text, part_instruction), params,
                                         inside(i, len(chunks), label.split(",")[0]), notes)
            summaries.append(summary)
            yield from ctx.give_way()
        parts_done += len(chunks)
        # Each part's summary says where in the document it comes from, so the next round
        # (and the final summary) can cover the beginning as well as the end.
        blocks = [Block("paragraph").with_text(f"Part {i + 1} of {len(summaries)}: {summary}")
                  for i, summary in enumerate(summaries)]
    yield Progress(1, 1, "Writing the summary")
    text = "\n\n".join(b.text for b in chunks[0])
    instruction = final_instruction + (COVER_EVERY_PART if rounds else "")
    return SummaryPrompt(_messages(text, instruction), replace(base, max_tokens=LENGTHS[length]), parts_done,
                         input_tokens, notes)


def inside(done: int, total: int, step: str) -> Callable[[Event], Event | None]:
    """Progress within one part: how much of it is read, then how many tokens are written."""
    tokens = 0

    def relabel(event: Event) -> Event | None:
        nonlocal tokens
        if isinstance(event, Progress):
            return Progress(done, total, f"{step}: reading it, {100 * event.done // max(1, event.total)}%")
        if isinstance(event, Token):
            tokens += 1
            if tokens % TOKENS_PER_REPORT:
                return None
            return Progress(done, total, f"{step}: writing, {tokens} of at most {PART_TOKENS} tokens")
        return event
    return relabel


def written(ctx: HostContext, messages: list[dict], params: GenerationParams,
            relabel: Callable[[Event], Event | None] | None, notes: list[str], stream: bool = False) -> Steps[str]:
    """A summary that does not repeat itself: written again with a penalty on repetition when it
    does; if it still does, the repeats are taken out and `notes` says so."""
    steps = complete(ctx, messages, params, stream=stream or relabel is not None)
    text = yield from (relayed(steps, relabel) if relabel else steps)
    if not repetitive(text):
        return text
    yield Progress(0, 0, "The model repeated itself: writing it again, with a penalty on repetition")
    again = yield from complete(ctx, messages, params.reseeded(1, repeat_penalty=max(params.repeat_penalty,
                                                                                      RETRY_PENALTY)), progress=False)
    if not repetitive(again):
        notes.append("The model's first summary repeated itself; it was written again.")
        return again
    notes.append("The model kept repeating itself, so repeated sentences were taken out. A larger model "
                 "summarizes better: see Models.")
    return without_repeats(again)
