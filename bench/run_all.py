"""Every bench in one run (`make bench`): each script's JSON goes into
bench/results/latest.json, and one Markdown table of goal against measured is
printed. `--only NAME [NAME...]` runs some of them (names without bench_) and keeps the
others' last figures."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["decode", "ui", "download", "api", "summarize", "translate", "library", "state", "interactive",
           "engine_options"]
GOALS = [  # (bench, what is measured, where in its JSON, "<=" or ">=", goal)
    ("decode", "decode tokens/s, app / raw llama-cpp-python", "ratio", ">=", 1.0),
    ("api", "API streaming speed / in-process", "ratio", ">=", 0.97),
    ("ui", "largest event-loop stall while the model streams into 1,000 messages (ms)",
     "starter_model.max_stall_ms", "<=", 20),
    ("ui", "99th-percentile event-loop stall (ms)", "starter_model.p99_stall_ms", "<=", 5),
    ("summarize", "long-document summary: wall / model-only time", "ratio", "<=", 1.10),
    ("translate", "translation: wall / model-only time", "ratio", "<=", 1.15),
    ("state", "back to a 20-turn conversation: first token / a new chat's", "back_ratio", "<=", 1.5),
    ("state", "first token at turn 20 / turn 1", "turn20_over_turn1", "<=", 1.25),
    ("state", "4,000-token conversation after a restart: restored / read again", "reopened_after_restart.ratio",
     "<=", 0.2),
    ("state", "Stop while a long prompt is read (s)", "stop_while_reading_s", "<=", 0.2),
    ("interactive", "chat first token during a translation / (first block + 1.5x idle)", "during_over_goal",
     "<=", 1.0),
    ("library", "search p99 at 100k passages, vectors in memory (ms)", "search.1.memory.p99_ms", "<=", 50),
    ("library", "hybrid recall@5 at least both single methods'", "goals.hybrid_recall@5_beats_both", "==", True),
    ("library", "embedding + storing share of indexing (Word, HTML, Markdown)",
     "indexing_word_html_markdown.embedding_plus_storing_share", "<=", 0.333),
    ("library", "largest event-loop stall while 5,000 files index (ms)", "window_while_indexing.max_stall_ms",
     "<=", 50),
    ("download", "download speed / plain HTTP", "loopback.ratio", ">=", 0.9),
]


def run(name: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / f"bench_{name}.py")], capture_output=True, text=True,
                          env=dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen")))
    out = done.stdout
    start = out.find("{")
    try:
        result = json.loads(out[start:]) if start >= 0 else None
    except ValueError:
        result = None
    if result is None:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-400:]}"}
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    return result


def value_at(result: dict, path: str):
    value = result
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def table(results: dict) -> str:
    lines = ["| bench | measured | goal | value | met |", "|---|---|---|---|---|"]
    for bench, what, path, op, goal in GOALS:
        if bench not in results:
            continue
        value = value_at(results[bench], path)
        met = value is not None and (value <= goal if op == "<=" else value >= goal if op == ">=" else value == goal)
        shown = "error" if value is None else value
        lines.append(f"| {bench} | {what} | {op} {goal} | {shown} | {'yes' if met else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, help="run these benches only")
    args = parser.parse_args()
    out = HERE / "results" / "latest.json"
    results = {}
    if args.only and out.exists():  # the others' figures stay as they were measured
        results = json.loads(out.read_text(encoding="utf-8")).get("results", {})
    for name in args.only or BENCHES:
        print(f"bench_{name}…", file=sys.stderr, flush=True)
        results[name] = run(name)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "machine": {"cpus": os.cpu_count(), "system": platform.platform(),
                                           "python": platform.python_version()},
                               "results": results}, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nEvery figure: {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
