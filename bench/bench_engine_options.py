"""The engine options of Settings (flash attention, KV cache type, prompt batch
size, threads), each against the default, with the starter model: prompt reading and
writing speed (median of 3, a new prompt each time) and the KV cache's size at
the context used. Prints one JSON object; `chosen` names the default."""

from __future__ import annotations

import json
import random
import statistics
import sys
import threading
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine  # noqa: E402
from desktop_llm.core.engine_options import EngineOptions  # noqa: E402
from desktop_llm.core.events import Finished  # noqa: E402
from desktop_llm.core.models import bundled_starter  # noqa: E402
from desktop_llm.core.models.gguf import read_model_info  # noqa: E402
from desktop_llm.core.models.hardware import physical_cores  # noqa: E402

N_CTX = 4096
PROMPT_WORDS = 1100  # about 1,500 tokens
OPTIONS = {
    "default": EngineOptions(),
    "flash_attn": EngineOptions(flash_attn=True),
    "kv_q8_0": EngineOptions(kv_cache_type="q8_0"),
    "kv_q4_0": EngineOptions(kv_cache_type="q4_0"),
    "batch_256": EngineOptions(n_batch=256),
    "batch_1024": EngineOptions(n_batch=1024),
}
WORDS = "the river rose after the storm and the village moved its grain to the hill barns".split()


def thread_counts() -> dict[str, int]:
    """Besides the default (one thread per core): half as many, and one per hyper-thread."""
    cores, logical = physical_cores(), psutil.cpu_count() or 1
    counts = {f"threads_{cores // 2}": cores // 2} if cores > 1 else {}
    if logical > cores:
        counts[f"threads_{logical}"] = logical
    return counts


def measure(path: Path, options: EngineOptions, n_threads: int = 0) -> dict:
    engine = LlamaCppEngine(path, n_ctx=N_CTX, n_threads=n_threads, options=options)
    engine.load()
    reading, writing = [], []
    try:
        for run in range(4):
            rng = random.Random(run)
            prompt = f"Note {rng.randrange(10**9)}: " + " ".join(rng.choice(WORDS) for _ in range(PROMPT_WORDS))
            params = GenerationParams(max_tokens=96, temperature=0.7, seed=run)
            for event in engine.stream_text(prompt, params, threading.Event()):
                if isinstance(event, Finished):
                    stats = event.stats
            if run:  # the first warms up
                reading.append((stats.prompt_tokens - stats.reused_tokens) / stats.ttft_s)
                writing.append(stats.tokens_per_second)
    finally:
        engine.close()
    return {"prompt_tokens_per_s": round(statistics.median(reading), 1),
            "decode_tokens_per_s": round(statistics.median(writing), 1)}


def main() -> None:
    starter = bundled_starter()
    arch = read_model_info(starter.path).architecture_facts
    results = {}
    for name, options in OPTIONS.items():
        results[name] = measure(starter.path, options)
        results[name]["kv_cache_mb"] = round(arch.kv_cache_bytes(N_CTX, options.kv_bytes_per_value) / 2**20, 1)
    for name, n_threads in thread_counts().items():
        results[name] = measure(starter.path, EngineOptions(), n_threads)
        results[name]["kv_cache_mb"] = results["default"]["kv_cache_mb"]
    base = results["default"]
    for figures in results.values():
        figures["prompt_vs_default"] = round(figures["prompt_tokens_per_s"] / base["prompt_tokens_per_s"], 3)
        figures["decode_vs_default"] = round(figures["decode_tokens_per_s"] / base["decode_tokens_per_s"], 3)
    print(json.dumps({"bench": "engine_options", "model": starter.name, "n_ctx": N_CTX,
                      "default_threads": physical_cores(), "options": results, "chosen": "default"}, indent=2))


if __name__ == "__main__":
    main()
