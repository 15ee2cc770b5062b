"""What this computer does with a model, measured as a user meets it: loading
it, reading a prompt (tokens per second), the first token, and writing
(tokens per second). The prompt is new each time (it starts with a number no
earlier prompt had), so nothing of it is remembered from before."""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from typing import Iterator

from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.events import Event, Finished
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.models import ModelRef

PROMPT_WORDS = 380  # about 500 tokens: long enough to time reading, short enough for any context
WRITE_TOKENS = 128
FILLER = ("the committee reviewed each budget line before the spring meeting and noted the costs of "
          "travel, rooms, printing and coffee for every team in the building").split()


@dataclass(frozen=True)
class SpeedReport:
    model: str
    device: str
    load_s: float  # 0.0 when the model was already loaded
    prompt_tokens: int
    prompt_tokens_per_s: float
    first_token_s: float
    decode_tokens: int
    decode_tokens_per_s: float

    def as_dict(self) -> dict:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def speed_job(host: ModelHost, model: ModelRef, listener=None) -> Job:
    def job(ctx: HostContext) -> Iterator[Event]:
        t0 = time.perf_counter()
        yield from ctx.engine_for(model)
        load_s = time.perf_counter() - t0
        rng = random.Random()
        prompt = f"Note {rng.randrange(10**12)}: " + " ".join(rng.choice(FILLER) for _ in range(PROMPT_WORDS))
        params = GenerationParams(max_tokens=WRITE_TOKENS, temperature=0.7, seed=rng.randrange(10**6))
        stats = None
        for event in ctx.engine.stream_text(prompt, params, ctx.cancel):
            if isinstance(event, Finished):
                stats = event.stats
            else:
                yield event
        assert stats is not None
        read = stats.prompt_tokens - stats.reused_tokens
        yield Finished(SpeedReport(model.name, ctx.engine.device_summary, load_s, stats.prompt_tokens,
                                   read / stats.ttft_s if stats.ttft_s else 0.0, stats.ttft_s,
                                   stats.completion_tokens, stats.tokens_per_second))

    return host.submit(job, listener, kind=JobKind.MEASURE, info={"model": model.name})
