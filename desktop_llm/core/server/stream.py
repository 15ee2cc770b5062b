"""A job's reply streamed as OpenAI streams it: server-sent events, a fast model's tokens in
groups (a chunk at most every STREAM_INTERVAL_S), the end at once."""

from __future__ import annotations

import json
import time

from desktop_llm.core.events import TERMINAL, Failed, Finished, Token
from desktop_llm.core.host import Job
from desktop_llm.core.server.inbox import Inbox
from desktop_llm.core.server.requests import ApiError, Request
from desktop_llm.core.server.shapes import call_deltas, finish_reason, logprobs_shape, tool_calls, usage_counts
from desktop_llm.core.tools import CALL_START

STREAM_INTERVAL_S = 0.04  # 25 updates a second: smooth to the eye, and 3-5x fewer chunks from a fast model


async def sse(request, job: Job, events: Inbox, opening: list, ident: str, created: int, req: Request, chat: bool,
              release):
    """A job's reply as OpenAI's server-sent events, from the events that opened it to the end."""
    obj = "chat.completion.chunk" if chat else "text_completion"
    head = json.dumps({"id": ident, "object": obj, "created": created, "model": req.model})[:-1]

    def chunk(delta: dict | None, text: str | None, finish, logprobs: dict | None = None) -> str:
        choice = ({"index": 0, "delta": delta, "finish_reason": finish, "logprobs": logprobs} if chat
                  else {"index": 0, "text": text, "finish_reason": finish, "logprobs": logprobs})
        return f'data: {head}, "choices": [{json.dumps(choice)}]}}\n\n'

    # A chunk of text is formatted around it (up to 25 times a second).
    if chat:
        before = f'data: {head}, "choices": [{{"index": 0, "delta": {{"content": '
        after = '}, "finish_reason": null}]}\n\n'
    else:
        before = f'data: {head}, "choices": [{{"index": 0, "text": '
        after = ', "finish_reason": null, "logprobs": null}]}\n\n'

    held: list[str] | None = [] if req.tools is not None else None  # a reply that may be a call waits
    try:
        if chat:
            yield chunk({"role": "assistant", "content": ""}, None, None)
        elif req.echo and req.prompt:
            yield before + json.dumps(req.prompt) + after
        not_before = 0.0  # text goes out at most every STREAM_INTERVAL_S; the end at once
        while True:
            if opening:
                batch, opening = opening, []
            else:
                batch = await events.take(timeout=1.0, not_before=not_before)
                if not batch:
                    if await request.is_disconnected():
                        return
                    continue
            batch = _merged(batch)
            out = []
            for event in batch:
                if isinstance(event, Token) and held is not None:
                    held.append(event.text)
                    start = "".join(held).lstrip()
                    if start and not start.startswith(CALL_START):  # text, not a call: stream it
                        out.append(before + json.dumps("".join(held)) + after)
                        held = None
                elif isinstance(event, Token) and req.params.logprobs is not None:
                    entries = logprobs_shape(req, list(event.logprobs))
                    out.append(chunk({"content": event.text}, event.text, None, entries) if chat
                               else chunk(None, event.text, None, entries))
                elif isinstance(event, Token):
                    out.append(before + json.dumps(event.text) + after)
                elif isinstance(event, Failed):
                    error = ApiError.of(event.error()).body()
                    out.append("data: " + json.dumps(error) + "\n\n")
                elif isinstance(event, Finished):
                    try:
                        made = tool_calls(req, "".join(held)) if held is not None else None
                    except ApiError as exc:
                        out.append("data: " + json.dumps(exc.body()) + "\n\n")
                        made, held = None, None
                    if made:
                        out += [chunk(delta, None, None) for delta in call_deltas(made)]
                    elif held:
                        out.append(before + json.dumps("".join(held)) + after)
                    out.append(chunk({}, "", "tool_calls" if made else finish_reason(event.result.finish_reason)))
                    if req.include_usage:  # OpenAI's last chunk: no choices, the token counts
                        out.append(f'data: {head}, "choices": [], "usage": '
                                   f'{json.dumps(usage_counts(event.result.stats))}}}\n\n')
                    out.append("data: [DONE]\n\n")
            if out:
                yield "".join(out)
                not_before = time.monotonic() + STREAM_INTERVAL_S
            if isinstance(batch[-1], TERMINAL):
                return
    finally:
        job.cancel()  # the client went away (or we are done): stop generating
        release()


def _merged(batch: list) -> list:
    """Tokens that arrived together as one: one chunk for the client to parse, not one per token."""
    out: list = []
    for event in batch:
        if isinstance(event, Token) and out and isinstance(out[-1], Token):
            out[-1] = Token(out[-1].text + event.text, out[-1].logprobs + event.logprobs)
        else:
            out.append(event)
    return out
