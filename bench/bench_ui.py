"""The window with a long conversation: time to open it, and how smooth the
event loop stays while a reply streams into it.

A 1 ms heartbeat timer runs on the GUI thread; a stall is the gap between two
beats beyond 1 ms. The reply comes through the app's real path (ChatService,
model host thread, history flushes, bridge signals, the 30 ms coalescing
timer). "paced" uses an engine that emits ~120 tokens/s, so the rate is the
same on every machine; "model" uses the bundled starter model as it runs here.
Goals: open <= 0.3 s, max stall <= 20 ms, p99 stall <= 5 ms, counted from the sixth beat on;
the Send's own stall (storing the message, making its bubbles) is reported beside them as
send_stall_ms. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from heartbeat import Heartbeat  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_llm.core.app import AppCore  # noqa: E402
from desktop_llm.core.engine import GenerationParams, GenerationStats, Reply  # noqa: E402
from desktop_llm.core.events import Finished, Started, Token  # noqa: E402
from desktop_llm.core.host import ModelHost  # noqa: E402
from desktop_llm.core.models.guard import ModelGuard  # noqa: E402
from desktop_llm.core.paths import HOME_ENV  # noqa: E402

WORDS = ("the quick brown fox jumps over a lazy dog while writers draft tidy paragraphs "
         "about tea, rivers and lighthouses").split()


class PacedEngine:
    """Emits words at a fixed rate instead of running a model."""

    rate = 120.0
    device_summary = "paced"

    def __init__(self, model_path, n_ctx=4096, **_):
        self.model_path, self.n_ctx = model_path, n_ctx

    def load(self) -> None:
        pass

    def close(self) -> None:
        pass

    def count_tokens(self, messages, prefill: str = "") -> int:
        return sum(len(m["content"]) // 4 + 4 for m in messages[-4:])

    def stream_chat(self, messages, params: GenerationParams, cancel: threading.Event, prefill: str = ""):
        yield Started({})
        pieces, start = [], time.perf_counter()
        for i in range(params.max_tokens):
            delay = start + i / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if cancel.is_set():
                break
            text = (" " if i else "") + WORDS[i % len(WORDS)] + ("\n\n" if i % 40 == 39 else "")
            pieces.append(text)
            yield Token(text)
        elapsed = time.perf_counter() - start
        stats = GenerationStats(completion_tokens=len(pieces), tokens_per_second=len(pieces) / elapsed)
        yield Finished(Reply("".join(pieces), "length", stats), stats)


def long_conversation(core: AppCore, n: int) -> int:
    history = core.history
    cid = history.create_conversation(title="A long conversation")
    for i in range(n):
        if i % 2 == 0:
            history.add_message(cid, "user", f"Question {i}: how do I write a good paragraph about item {i}?")
        else:
            history.add_message(cid, "assistant", (
                f"Here is an answer to question {i - 1}.\n\n- Start with a **topic sentence**.\n"
                f"- Support it with *evidence*.\n\n```python\ndef paragraph_{i}():\n    return 'tidy'\n```\n"
                + " ".join(WORDS) * 2))
    return cid


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def measure_stream(app: QApplication, window, tokens: int) -> dict:
    heartbeat = Heartbeat()
    window.core.settings.max_tokens = tokens
    window.input.setPlainText("Write a long answer, please.")
    heartbeat.start()
    window.send()
    t0 = time.perf_counter()
    while window.session.job is not None and time.perf_counter() - t0 < 120:
        app.processEvents()
        time.sleep(0.0005)
    stalls = heartbeat.stop()
    send_stall = max(heartbeat.gaps[:5], default=0.0) - 1.0  # the Send itself: storing, two new bubbles
    elapsed = time.perf_counter() - t0
    shown = window.chat_view.bubbles()[-1].text
    return {
        "tokens": tokens,
        "seconds": round(elapsed, 2),
        "max_stall_ms": round(max(stalls, default=0.0), 2),
        "p99_stall_ms": round(percentile(stalls, 0.99), 2),
        "median_stall_ms": round(statistics.median(stalls), 3) if stalls else 0.0,
        "send_stall_ms": round(send_stall, 2),
        "reply_chars_shown": len(shown),
    }


def measure_open(app: QApplication, window, cid: int, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        window.new_chat()
        app.processEvents()
        t0 = time.perf_counter()
        window.open_conversation(cid)
        app.processEvents()  # layout and the first paint
        times.append(time.perf_counter() - t0)
    return times


def run(messages: int, tokens: int, use_model: bool) -> dict:
    from desktop_llm.gui.common.application import settle_memory
    from desktop_llm.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as home:
        os.environ[HOME_ENV] = home
        core = AppCore()
        core.settings.n_ctx = 2048
        if not use_model:
            core.__dict__["host"] = ModelHost(ModelGuard(core.paths), core.engine_config(),
                                              engine_factory=PacedEngine)
        cid = long_conversation(core, messages)
        window = MainWindow(core)
        window.resize(1000, 700)
        window.show()
        settle_memory()  # as the app does once its window is up
        window.start_loading()
        t0 = time.perf_counter()
        while not window.model_status.ready and time.perf_counter() - t0 < 60:
            app.processEvents()
            time.sleep(0.01)
        open_times = measure_open(app, window, cid, runs=5)
        stream = measure_stream(app, window, tokens)
        window.close()
        core.close()
    return {
        "open_s_median": round(statistics.median(open_times), 4),
        "open_s_max": round(max(open_times), 4),
        **stream,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=600, help="reply length in tokens")
    parser.add_argument("--skip-model", action="store_true", help="only the paced engine")
    args = parser.parse_args()
    report = {
        "messages": args.messages,
        "goals": {"open_s": 0.3, "max_stall_ms": 20, "p99_stall_ms": 5},
        "paced_120_tokens_per_s": run(args.messages, args.tokens, use_model=False),
    }
    if not args.skip_model:
        report["starter_model"] = run(args.messages, min(args.tokens, 400), use_model=True)
    print(json.dumps(report, indent=2), flush=True)
    os._exit(0)  # skip interpreter teardown of Qt objects


if __name__ == "__main__":
    main()
