"""A reply in OpenAI's shapes: its log probabilities, tool calls, token counts and finish reason."""

from __future__ import annotations

import base64
import struct

from desktop_llm.core.errors import UserError
from desktop_llm.core.logprobs import completion_logprobs
from desktop_llm.core.server.requests import ApiError, Request
from desktop_llm.core.tools import ToolCall


def logprobs_shape(req: Request, entries: list[dict] | None, offset: int = 0) -> dict | None:
    """Log probabilities in the shape each endpoint answers with (None when not asked for)."""
    if req.params.logprobs is None or entries is None:
        return None
    return {"content": entries} if req.messages is not None else completion_logprobs(entries, offset)


def tool_calls(req: Request, text: str) -> list[ToolCall] | None:
    """The tool calls a reply makes (None when it is text, or the request has no tools)."""
    if req.tools is None:
        return None
    try:
        return req.tools.calls(text)
    except UserError as exc:
        raise ApiError(400, exc.message, "tool_call_incomplete") from exc


def call_deltas(calls: list[ToolCall], piece: int = 24) -> list[dict]:
    """Calls streamed as OpenAI streams them: each call's id and name, then its arguments in pieces."""
    deltas = []
    for index, call in enumerate(calls):
        deltas.append({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                       "function": {"name": call.name, "arguments": ""}}]})
        deltas += [{"tool_calls": [{"index": index, "function": {"arguments": call.arguments[at:at + piece]}}]}
                   for at in range(0, len(call.arguments), piece)]
    return deltas


def base64_vector(vector: list[float]) -> str:
    """A vector as OpenAI sends it for encoding_format=base64: little-endian float32."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def usage_counts(stats) -> dict:
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
            "total_tokens": stats.prompt_tokens + stats.completion_tokens}


def finish_reason(reason: str) -> str:
    return {"stop": "stop", "length": "length"}.get(reason, "stop")
