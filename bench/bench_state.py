"""The model's memory of recent prompts, measured as a user feels it (starter model).

- back to a 20-turn conversation after a turn in another: first-token time / a new chat's (goal <= 1.5)
- first-token time at turn 20 / turn 1 of one conversation, app and raw llama-cpp-python (goal <= 1.25);
  first tokens come in ~50 ms here, so each figure is the median over several conversations or rounds
- a ~4,000-token conversation reopened after a restart (its state on disk): first-token time / reading it
  again (goal <= 0.20)
- Stop while a ~2,600-token prompt is read: seconds until the reply ends (goal <= 0.2)

Prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine  # noqa: E402
from desktop_llm.core.events import Finished, Started  # noqa: E402
from desktop_llm.core.models import bundled_starter  # noqa: E402
from desktop_llm.core.state_cache import StateCache  # noqa: E402

N_CTX = 8192
QUESTIONS = ["Name a fruit.", "Why is the sky blue?", "Give me a word that rhymes with tea.",
             "What is a haiku?", "Say something kind."]
TOPICS = ("gardens", "trains")  # more 20-turn conversations, beside the one about tea
ROUNDS = 5  # going back to the conversation, and a new chat, each this many times


def turn(engine, messages, max_tokens=24) -> tuple[str, float]:
    params = GenerationParams(max_tokens=max_tokens, temperature=0.7, seed=len(messages))
    for event in engine.stream_chat(messages, params, threading.Event()):
        if isinstance(event, Finished):
            return event.result.text, event.stats.ttft_s
    raise RuntimeError("no reply")


def conversation(engine, turns: int, topic: str) -> tuple[list[dict], list[float]]:
    messages: list[dict] = [{"role": "system", "content": f"You are a helpful assistant who likes {topic}."}]
    ttfts = []
    for i in range(turns):
        messages.append({"role": "user", "content": QUESTIONS[i % len(QUESTIONS)] + f" ({topic}, {i})"})
        text, ttft = turn(engine, messages)
        ttfts.append(ttft)
        messages.append({"role": "assistant", "content": text})
    return messages, ttfts


def raw_turns(llm, turns: int, topic: str) -> list[float]:
    """Plain llama-cpp-python: its own prefix reuse within one conversation."""
    messages: list[dict] = [{"role": "system", "content": f"You are a helpful assistant who likes {topic}."}]
    ttfts = []
    for i in range(turns):
        messages.append({"role": "user", "content": QUESTIONS[i % len(QUESTIONS)] + f" ({topic}, {i})"})
        t0, first, text = time.perf_counter(), None, ""
        for chunk in llm.create_chat_completion(messages, max_tokens=24, temperature=0.7, seed=i, stream=True):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                first = first or time.perf_counter() - t0
                text += piece
        ttfts.append(first or 0.0)
        messages.append({"role": "assistant", "content": text})
    return ttfts


def turn_ratio(runs: list[list[float]]) -> float:
    """Turn 20's first-token time over turn 1's, each the median over the conversations."""
    return statistics.median(r[-1] for r in runs) / statistics.median(r[0] for r in runs)


def stop_while_reading(engine) -> float:
    messages = [{"role": "user", "content": "The committee reviewed every budget line in turn. " * 260}]
    cancel = threading.Event()
    stopped_at = ended = 0.0
    for event in engine.stream_chat(messages, GenerationParams(max_tokens=8), cancel):
        if isinstance(event, Started):
            def stop():
                nonlocal stopped_at
                stopped_at = time.perf_counter()
                cancel.set()
            threading.Timer(1.0, stop).start()
    ended = time.perf_counter()
    return ended - stopped_at


def main() -> None:
    starter = bundled_starter()
    assert starter is not None, "starter model missing: run `make setup`"
    folder = Path(tempfile.mkdtemp(prefix="bench-state-"))
    states = StateCache(1 << 30, folder, 4 << 30)
    engine = LlamaCppEngine(starter.path, n_ctx=N_CTX, states=states)
    engine.load()
    talk, ttfts = conversation(engine, 20, "tea")
    runs = [ttfts] + [conversation(engine, 20, topic)[1] for topic in TOPICS]
    backs, news = [], []
    for i in range(ROUNDS):  # each after a turn elsewhere, which takes the live context; each question new
        ask = {"role": "user", "content": f"Thank you. One more thing about tea, number {i}?"}
        conversation(engine, 1, "rivers")
        backs.append(turn(engine, talk + [ask])[1])
        conversation(engine, 1, "rivers")
        fresh = {"role": "user", "content": f"Thank you. One more thing about tea, item {i}?"}
        news.append(turn(engine, talk[:1] + [fresh])[1])  # a new chat: the same system prompt, as long a question
    back, new_chat = statistics.median(backs), statistics.median(news)
    # a long conversation, reopened after a restart
    long_talk = [{"role": "user", "content": "Here are my notes on the history of tea trade routes. " * 330},
                 {"role": "assistant", "content": "Thank you, I have read your notes."},
                 {"role": "user", "content": "What was the first route?"}]
    tokens = len(engine.tokenize_prompt(long_talk))
    turn(engine, long_talk[:1])
    states.flush()
    stop_s = stop_while_reading(engine)
    engine.close()
    cold = LlamaCppEngine(starter.path, n_ctx=N_CTX)  # no memory: reads it all
    cold.load()
    reread = turn(cold, long_talk)[1]
    cold.close()
    restarted = LlamaCppEngine(starter.path, n_ctx=N_CTX, states=StateCache(1 << 30, folder, 4 << 30))
    restarted.load()
    restored = turn(restarted, long_talk)[1]
    restarted.close()
    import llama_cpp

    llm = llama_cpp.Llama(str(starter.path), n_ctx=N_CTX, verbose=False)
    raw = turn_ratio([raw_turns(llm, 20, topic) for topic in ("tea", *TOPICS)])
    llm.close()
    result = {
        "bench": "state_cache", "model": starter.name,
        "new_chat_ttft_s": round(new_chat, 3),
        "back_to_20_turn_conversation_ttft_s": round(back, 3),
        "back_ratio": round(back / new_chat, 2), "goal_back_ratio": 1.5,
        "conversations": len(runs), "rounds": ROUNDS,
        "turn20_over_turn1": round(turn_ratio(runs), 2), "raw_turn20_over_turn1": round(raw, 2),
        "goal_turn_ratio": 1.25,
        "reopened_after_restart": {"prompt_tokens": tokens, "reread_ttft_s": round(reread, 3),
                                   "restored_ttft_s": round(restored, 3), "ratio": round(restored / reread, 3),
                                   "goal_ratio": 0.2},
        "stop_while_reading_s": round(stop_s, 3), "goal_stop_s": 0.2,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
