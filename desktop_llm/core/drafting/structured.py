"""JSON answers from the model: decoded under a JSON-schema grammar, parsed,
and tried again when a small model ran out of tokens before closing it."""

from __future__ import annotations

import json
from typing import Callable

from desktop_llm.core.completions import complete
from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Progress, Steps, relayed
from desktop_llm.core.host import HostContext

STRUCTURED_TRIES = 3


def parse_json(text: str) -> dict:
    try:
        return json.loads(text, strict=False)  # raw newlines inside strings are fine
    except ValueError as exc:  # the grammar ends only at a token limit
        raise UserError("The model's answer was cut off before it was complete. Try again, or "
                        "raise the maximum reply length in Settings.", detail=text[-200:]) from exc


UNLIMITED_CHARS = 2000  # a JSON string's cap when the template sets none


def text_schema(limit: int | None, shortest: int = 1) -> dict:
    """A string the grammar ends by the limit: a small model cannot ramble on forever."""
    return {"type": "string", "minLength": shortest, "maxLength": limit or UNLIMITED_CHARS}


def json_token_budget(chars: int) -> int:
    """Tokens for `chars` characters of JSON strings: a token is at least one
    character, and escapes (\\n, \\u00e9) take a few more."""
    return 2 * chars + 64


def structured(ctx: HostContext, messages: list[dict], params: GenerationParams,
               relabel: Callable[[Event], Event | None] | None = None) -> Steps[dict]:
    """A JSON answer under the grammar. If the token budget ran out before
    the JSON was complete (a small model repeating itself), try again with
    another seed and a penalty on repetition (a Progress says so). With `relabel`,
    the answer's tokens and progress pass through it (to report progress inside
    the answer)."""
    for attempt in range(STRUCTURED_TRIES):
        steps = complete(ctx, messages, params, stream=relabel is not None)
        text = yield from (relayed(steps, relabel) if relabel else steps)
        try:
            return parse_json(text)
        except UserError:
            if attempt == STRUCTURED_TRIES - 1:
                raise
            params = params.reseeded(1, repeat_penalty=max(params.repeat_penalty, 1.15))
            retry = Progress(0, 0, "The answer was cut off: writing it again, with a penalty on repetition")
            passed = relabel(retry) if relabel else retry
            if passed is not None:
                yield passed
    raise AssertionError("unreachable")
