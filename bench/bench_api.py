"""Streamed decode speed through the OpenAI-compatible API vs in process.

One app core, one loaded starter model; the same prompt, seed and sampling
go (interleaved, several rounds) to the engine directly and through the
local server with the official `openai` client (in its own process). The
speed is the text that arrives after the first piece, per second until the
last: the server sends a fast model's tokens in groups (a chunk at most every
40 ms), so chunks are not tokens; each seed gives the same text both ways.
First-token times (request to first text) are reported beside it.
The ratio is taken per seed and the median reported (the machine's speed
drifts between rounds more than the API costs). Goal: api/in-process >= 0.97.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporary_core import temporary_core  # noqa: E402

PROMPT = "Write a detailed blog post about the history of tea, with several sections."
MAX_TOKENS = 200
ROUNDS = 16  # the machine drifts by a few per cent between runs: more pairs, a steadier median


def rate(pieces: list[tuple[float, str]]) -> float:
    """Characters per second after the first piece (which the first-token time covers)."""
    if len(pieces) < 2 or pieces[-1][0] <= pieces[0][0]:
        return 0.0
    return sum(len(text) for _, text in pieces[1:]) / (pieces[-1][0] - pieces[0][0])


class Run(NamedTuple):
    speed: float  # characters per second after the first piece
    pieces: int
    text: str
    first_s: float  # from the request to the first piece of text


def measured(start: float, pieces: list) -> Run:
    return Run(rate(pieces), len(pieces), "".join(text for _, text in pieces),
               pieces[0][0] - start if pieces else 0.0)


def in_process(core, model, seed: int) -> Run:
    from desktop_llm.core.completions import chat_job
    from desktop_llm.core.engine import GenerationParams
    from desktop_llm.core.events import Token

    params = GenerationParams(max_tokens=MAX_TOKENS, temperature=0.7, seed=seed)
    start = time.perf_counter()
    pieces = [(time.perf_counter(), e.text) for e in chat_job(core.host, model, [{"role": "user", "content": PROMPT}],
                                                             params).events() if isinstance(e, Token)]
    return measured(start, pieces)


CLIENT = """
import json, sys, time, openai
client = openai.OpenAI(base_url=sys.argv[1], api_key="unused", max_retries=0, timeout=300)
client.models.list()  # connected, as an editor that has been open a while
pieces = []
start = time.perf_counter()
stream = client.chat.completions.create(model="default", messages=[{"role": "user", "content": sys.argv[2]}],
                                        max_tokens=int(sys.argv[3]), temperature=0.7, seed=int(sys.argv[4]),
                                        stream=True)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append((time.perf_counter(), chunk.choices[0].delta.content))
print(json.dumps({"start": start, "pieces": pieces}))
"""


def through_api(url: str, seed: int) -> Run:
    """The official client in its own process, as an editor or a script would be."""
    out = subprocess.run([sys.executable, "-c", CLIENT, url, PROMPT, str(MAX_TOKENS), str(seed)],
                         capture_output=True, text=True, check=True, timeout=600).stdout
    got = json.loads(out)
    return measured(got["start"], got["pieces"])


def main() -> None:
    core = temporary_core("bench-api-", n_ctx=2048)
    from desktop_llm.core.server.runner import ApiServer

    model = core.resolve_model()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ApiServer(core, "127.0.0.1", port)
    server.start()
    try:
        in_process(core, model, 0)  # load and warm up
        direct, api = [], []
        for seed in range(1, ROUNDS + 1):  # which goes first alternates: the machine's drift cancels out
            if seed % 2:
                direct.append(in_process(core, model, seed))
                api.append(through_api(server.url, seed))
            else:
                api.append(through_api(server.url, seed))
                direct.append(in_process(core, model, seed))
        tokens, chunks = sum(run.pieces for run in direct), sum(run.pieces for run in api)
        same_text = sum(d.text == a.text for d, a in zip(direct, api))  # else the speeds are not comparable
        first = {"in_process_first_token_s": round(statistics.median(run.first_s for run in direct), 3),
                 "api_first_token_s": round(statistics.median(run.first_s for run in api), 3)}
        direct, api = [run.speed for run in direct], [run.speed for run in api]
    finally:
        server.stop()
        core.close()
    d, a = statistics.median(direct), statistics.median(api)
    paired = statistics.median(x / y for x, y in zip(api, direct) if y)
    print(json.dumps({
        "bench": "api_streaming", "model": model.name, "max_tokens": MAX_TOKENS, "rounds": ROUNDS,
        "in_process_chars_per_s": round(d, 1), "api_chars_per_s": round(a, 1),
        "ratio": round(paired, 3), "ratio_of_medians": round(a / d, 3) if d else None, "goal_ratio": 0.97,
        "same_text_runs": same_text, "tokens": tokens, "api_chunks": chunks,
        "tokens_per_chunk": round(tokens / chunks, 2) if chunks else None, **first,
        "in_process_runs": [round(x, 1) for x in direct], "api_runs": [round(x, 1) for x in api],
    }, indent=2))


if __name__ == "__main__":
    main()
