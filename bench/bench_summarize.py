"""A long summary's wall time vs what the model alone needs for the same work.

In one run: the engine's prompt speed and decode speed are measured on the
starter model, then a report several times the context is summarized; every
generation the summary makes is counted (prompt and output tokens, and the
time the model took for it). The model-only time is the sum of those times
(each generation at its own context length: a summary's prompts fill the
context, where reading and writing are slower than in a short prompt); the
ratio wall / model-only says what the app's own work costs (goal <= 1.10).
The older estimate from short-prompt speeds is kept beside it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_llm.core.paths import HOME_ENV  # noqa: E402

N_CTX = 2048
PARAGRAPHS = 120


def report() -> str:
    topics = ["sales", "hiring", "the new office", "customer support", "the tea supplier", "shipping"]
    return "\n\n".join(
        f"Section {i}: In week {i} the team reviewed {topics[i % 6]}. Revenue was {1000 + 37 * i} euros, "
        f"{i % 5 + 1} customers complained about delays, and the manager decided to "
        f"{['hire', 'wait', 'spend', 'save'][i % 4]} before the next review." for i in range(PARAGRAPHS))


def engine_speeds(engine) -> tuple[float, float]:
    """Prompt tokens/s (a cold 1,000-token prompt) and decode tokens/s."""
    from desktop_llm.core.engine import GenerationParams
    from desktop_llm.core.events import Finished

    text = report()[:4000]
    llm = engine._llm
    tokens = llm.tokenize(text.encode())[:1000]
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    prompt_speed = len(tokens) / (time.perf_counter() - t0)
    llm.reset()
    params = GenerationParams(max_tokens=200, temperature=0.7, seed=1)
    events = list(engine.stream_chat([{"role": "user", "content": "Write about tea."}], params, threading.Event()))
    decode_speed = [e for e in events if isinstance(e, Finished)][0].stats.tokens_per_second
    return prompt_speed, decode_speed


@contextmanager
def counted_generations():
    """Every generation's prompt and output tokens while inside, counted (the engine wrapped)."""
    from desktop_llm.core.engine import LlamaCppEngine
    from desktop_llm.core.events import Finished

    counted = {"prompt": 0, "output": 0, "calls": 0, "model_s": 0.0}
    original = LlamaCppEngine.stream_chat

    def counting(self, *args, **kwargs):
        for event in original(self, *args, **kwargs):
            if isinstance(event, Finished):
                counted["prompt"] += event.stats.prompt_tokens
                counted["output"] += event.stats.completion_tokens
                counted["calls"] += 1
                counted["model_s"] += event.stats.total_s
            yield event

    LlamaCppEngine.stream_chat = counting
    try:
        yield counted
    finally:
        LlamaCppEngine.stream_chat = original


def main() -> None:
    os.environ[HOME_ENV] = tempfile.mkdtemp(prefix="bench-summarize-")
    from desktop_llm.core.app import AppCore
    from desktop_llm.core.documents.readers import read_text
    from desktop_llm.core.events import Finished

    core = AppCore()
    core.settings.n_ctx = N_CTX
    core.save_settings()
    model = core.resolve_model()
    try:
        list(core.host.load(model).events())
        speeds = {}

        def measure(ctx):
            speeds["prompt"], speeds["decode"] = engine_speeds(ctx.engine)
            yield Finished()

        list(core.host.submit(measure).events())
        doc = read_text(report())
        with counted_generations() as counted:
            t0 = time.perf_counter()
            last = list(core.summarizer.summarize(doc, model, "bullets", "medium").events())[-1]
            wall = time.perf_counter() - t0
    finally:
        core.close()
    summary = last.result
    ideal = counted["prompt"] / speeds["prompt"] + counted["output"] / speeds["decode"]
    print(json.dumps({
        "bench": "summarize", "n_ctx": N_CTX, "input_tokens": summary.input_tokens, "parts": summary.chunks,
        "generations": counted["calls"], "prompt_tokens_read": counted["prompt"],
        "output_tokens": counted["output"], "prompt_tokens_per_s": round(speeds["prompt"], 1),
        "decode_tokens_per_s": round(speeds["decode"], 1), "ideal_from_short_prompt_speeds_s": round(ideal, 2),
        "model_only_s": round(counted["model_s"], 2), "wall_s": round(wall, 2),
        "ratio": round(wall / counted["model_s"], 3), "ratio_to_short_prompt_estimate": round(wall / ideal, 3),
        "goal_ratio": 1.10,
    }, indent=2))


if __name__ == "__main__":
    main()
