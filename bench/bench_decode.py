"""Decode speed: raw llama-cpp-python vs our engine vs `desktop-llm chat --json`.

Same model, prompt and sampling settings, measured in one run with the
three interleaved; prints one JSON object. Goal: ratio (app/raw) >= 0.98.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine  # noqa: E402
from desktop_llm.core.events import Finished  # noqa: E402
from desktop_llm.core.models import bundled_starter  # noqa: E402
from desktop_llm.core.models.hardware import physical_cores  # noqa: E402
from desktop_llm.core.paths import HOME_ENV  # noqa: E402

PROMPT = "Write a detailed blog post about the history of tea, with several sections."
N_CTX = 2048
SAMPLING = dict(temperature=0.7, top_p=0.95, top_k=40, min_p=0.05, repeat_penalty=1.0)


def raw_run(llm, max_tokens: int, seed: int) -> dict:
    llm.reset()  # read the prompt cold, like the other two
    t0 = time.perf_counter()
    t_first = t_last = None
    n = 0
    stream = llm.create_chat_completion(
        [{"role": "user", "content": PROMPT}], stream=True, max_tokens=max_tokens, seed=seed,
        **SAMPLING,
    )
    for chunk in stream:
        if chunk["choices"][0]["delta"].get("content"):
            now = time.perf_counter()
            t_first = t_first or now
            t_last = now
            n += 1
    tps = (n - 1) / (t_last - t_first) if n > 1 else 0.0
    return {"tps": tps, "ttft_s": t_first - t0, "tokens": n}


def app_run(engine, max_tokens: int, seed: int) -> dict:
    params = GenerationParams(max_tokens=max_tokens, seed=seed, **SAMPLING)
    engine._llm.reset()  # same cold prompt as the raw run
    for event in engine.stream_chat([{"role": "user", "content": PROMPT}], params, threading.Event()):
        if isinstance(event, Finished):
            s = event.stats
            return {"tps": s.tokens_per_second, "ttft_s": s.ttft_s, "tokens": s.completion_tokens}
    raise RuntimeError("no result")


def cli_run(home: Path, seed: int) -> dict:
    env = dict(os.environ, **{HOME_ENV: str(home)})
    out = subprocess.run(
        [sys.executable, "-m", "desktop_llm", "chat", "--json", PROMPT],
        capture_output=True, text=True, env=env, check=True,
    )
    data = json.loads(out.stdout)
    return {"tps": data["tokens_per_second"], "ttft_s": data["ttft_s"], "tokens": data["completion_tokens"]}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--model", help="GGUF path (default: the bundled starter)")
    args = ap.parse_args()

    import llama_cpp

    model_path = Path(args.model) if args.model else bundled_starter().path
    threads = physical_cores()
    raw = llama_cpp.Llama(str(model_path), n_ctx=N_CTX, n_threads=threads,
                          n_threads_batch=threads, verbose=False)
    engine = LlamaCppEngine(model_path, n_ctx=N_CTX, n_threads=threads)
    engine.load()
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    (home / "config").mkdir()
    (home / "config" / "settings.json").write_text(json.dumps({
        "n_ctx": N_CTX, "max_tokens": args.max_tokens, "temperature": SAMPLING["temperature"],
        "top_p": SAMPLING["top_p"],
    }))

    raw_run(raw, 16, 0)  # warm-up
    app_run(engine, 16, 0)
    cli_run(home, 0)  # also inspects the model once
    raw_runs, app_runs, cli_runs = [], [], []
    for i in range(args.runs):
        raw_runs.append(raw_run(raw, args.max_tokens, 100 + i))
        app_runs.append(app_run(engine, args.max_tokens, 100 + i))
        cli_runs.append(cli_run(home, 100 + i))

    raw_tps, app_tps, cli_tps = (median(r, "tps") for r in (raw_runs, app_runs, cli_runs))
    print(json.dumps({
        "model": model_path.name,
        "n_threads": threads,
        "runs": args.runs,
        "max_tokens": args.max_tokens,
        "raw_tps": round(raw_tps, 2),
        "app_tps": round(app_tps, 2),
        "ratio": round(app_tps / raw_tps, 4),
        "raw_ttft_s": round(median(raw_runs, "ttft_s"), 4),
        "app_ttft_s": round(median(app_runs, "ttft_s"), 4),
        "cli_tps": round(cli_tps, 2),
        "cli_ratio": round(cli_tps / raw_tps, 4),
        "cli_ttft_s": round(median(cli_runs, "ttft_s"), 4),
        "tokens_per_run": {"raw": median(raw_runs, "tokens"), "app": median(app_runs, "tokens"),
                           "cli": median(cli_runs, "tokens")},
    }, indent=2))


if __name__ == "__main__":
    main()
