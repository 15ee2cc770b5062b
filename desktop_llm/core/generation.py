"""What a generation is asked for (GenerationParams), what it measured (GenerationStats) and what it
gave (Reply): plain values shared by the engines, the jobs and the API."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from desktop_llm.core.tools import ToolUse


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 1024
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0  # OpenAI's: less likely to use a token that appeared at all
    frequency_penalty: float = 0.0  # ...or the more, the more often it appeared
    seed: int | None = None
    json_schema: dict | None = None  # constrain the reply to JSON of this shape (llama.cpp grammar)
    grammar: str | None = None  # or to this GBNF grammar
    stop: tuple[str, ...] = ()  # end the reply where one of these would begin
    logprobs: int | None = None  # report each token's log probability, with this many alternatives
    tools: ToolUse | None = None  # functions the reply may (or must) call; the engine writes them its model's way

    def reseeded(self, offset: int, **changes) -> GenerationParams:
        """The same request with its seed moved by `offset`, for another variant or a retry that should
        differ yet stay reproducible (no seed stays no seed)."""
        return replace(self, seed=None if self.seed is None else self.seed + offset, **changes)


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float = 0.0
    tokens_per_second: float = 0.0
    total_s: float = 0.0
    reused_tokens: int = 0  # of the prompt, found in the model's memory (not read again)

    def as_dict(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "ttft_s": round(self.ttft_s, 4),
            "tokens_per_second": round(self.tokens_per_second, 2),
            "total_s": round(self.total_s, 4),
            "reused_tokens": self.reused_tokens,
        }

    def timed(self, t0: float, t_first: float | None, t_last: float | None, end: float) -> None:
        """Fill in the times: total, to the first token, and the decode rate
        between the first and the last token."""
        self.total_s = end - t0
        if t_first is not None:
            self.ttft_s = t_first - t0
            if self.completion_tokens > 1 and t_last is not None and t_last > t_first:
                self.tokens_per_second = (self.completion_tokens - 1) / (t_last - t_first)


@dataclass
class Reply:
    """A finished generation: full text and why it ended."""

    text: str
    finish_reason: str  # "stop" (model ended), "length", "cancelled"
    stats: GenerationStats = field(default_factory=GenerationStats)
    logprobs: list[dict] | None = None  # per token, when asked for
