"""Generation that is not a saved conversation: what the API server (and
any tool) asks of the loaded model. Jobs run on the model host like chat
turns, so requests from the window and from the API queue behind each other."""

from __future__ import annotations

from typing import Iterator

from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import Cancelled, UserError
from desktop_llm.core.events import Event, Finished, Progress, Steps, Token
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.models import ModelRef


def complete(ctx: HostContext, messages: list[dict], params: GenerationParams, stream: bool = False,
             progress: bool = True) -> Steps[str]:
    """One generation inside a job: yields its tokens (when `stream`) and
    prompt-reading progress (when `progress`); returns the text."""
    text = ""
    for event in ctx.engine.stream_chat(messages, params, ctx.cancel):
        if isinstance(event, Token):
            text += event.text
            if stream:
                yield event
        elif isinstance(event, Progress) and progress:
            yield event
    if ctx.cancel.is_set():
        raise Cancelled("Stopped.")
    return text.strip()


def chat_job(host: ModelHost, model: ModelRef, messages: list[dict], params: GenerationParams,
             listener=None) -> Job:
    def job(ctx: HostContext) -> Iterator[Event]:
        yield from ctx.engine_for(model)
        yield from ctx.engine.stream_chat(messages, params, ctx.cancel)

    return host.submit(job, listener, kind=JobKind.API, info={"model": model.name})


def text_job(host: ModelHost, model: ModelRef, prompt: str, params: GenerationParams,
             listener=None, suffix: str | None = None) -> Job:
    """Text carried on from `prompt` (or, with `suffix`, the text between the two)."""
    def job(ctx: HostContext) -> Iterator[Event]:
        yield from ctx.engine_for(model)
        yield from ctx.engine.stream_text(prompt, params, ctx.cancel, suffix)

    return host.submit(job, listener, kind=JobKind.API, info={"model": model.name})


def embeddings_job(host: ModelHost, model: ModelRef, texts: list[str]) -> Job:
    """Vectors for texts (Finished carries (vectors, prompt_tokens)); remote models cannot."""
    def job(ctx: HostContext) -> Iterator[Event]:
        yield from ctx.engine_for(model)
        if not hasattr(ctx.engine, "embed"):
            raise UserError(f"{model.name} is a remote model: ask its server for embeddings directly.")
        yield Finished(ctx.engine.embed(texts))

    return host.submit(job, kind=JobKind.API, info={"model": model.name})
