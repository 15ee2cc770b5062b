"""Interactive requests first, measured (starter model): a chat turn sent while a document is
translated waits only for the block in hand.

- idle_ttft_s: a chat turn's first token, from Send, with nothing else running (median of 3)
- first_block_s: a translation's first block, from its start
- during_ttft_s: a chat turn's first token, from Send, sent just after a translation's first block began
- goal: during_ttft_s <= first_block_s + 1.5 x idle_ttft_s (ratio <= 1.0)

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

from temporary_core import temporary_core  # noqa: E402

BLOCKS = 12


def first_token_s(core, model, text: str) -> float:
    from desktop_llm.core.events import Token

    sent = time.perf_counter()
    first = None
    for event in core.chat.send(text, model).events():
        if first is None and isinstance(event, Token):
            first = time.perf_counter() - sent
    if first is None:
        raise RuntimeError("the chat turn wrote nothing")
    return first


def main() -> None:
    core = temporary_core("bench-interactive-", max_tokens=48)
    from desktop_llm.core.documents.readers import read_markdown
    from desktop_llm.core.events import Failed, Finished, Partial, Progress

    model = core.resolve_model()
    core.host.load(model).result()
    first_token_s(core, model, "Warm up.")
    idle = statistics.median(first_token_s(core, model, f"Name a colour ({i}).") for i in range(3))

    folder = Path(tempfile.mkdtemp(prefix="bench-interactive-doc-"))
    source = folder / "notes.md"
    source.write_text("\n\n".join(f"Paragraph {i}: the garden needs water every morning, and the roses want "
                                  "pruning before the first frost of the year." for i in range(BLOCKS)),
                      encoding="utf-8")
    began, first_block, ended = threading.Event(), [], threading.Event()
    started = time.perf_counter()

    def on_event(event) -> None:
        if isinstance(event, Progress) and event.label.startswith("Translating block"):
            began.set()
        elif isinstance(event, Partial) and not first_block:
            first_block.append(time.perf_counter() - started)
        elif isinstance(event, (Finished, Failed)):
            ended.set()

    core.translator.translate(source, read_markdown(source.read_text()), model, "es", listener=on_event)
    began.wait(120)
    during = first_token_s(core, model, "Name a colour (during).")
    ended.wait(600)
    block = first_block[0] if first_block else float("nan")
    goal = block + 1.5 * idle
    print(json.dumps({"bench": "interactive", "idle_ttft_s": round(idle, 3), "first_block_s": round(block, 3),
                      "during_ttft_s": round(during, 3), "goal_s": round(goal, 3),
                      "during_over_goal": round(during / goal, 3), "goal_met": during <= goal}, indent=2))
    core.close()


if __name__ == "__main__":
    main()
