"""The model's memory of recent prompts: its bounds and what goes first, what
it is filed under, its disk copies after a restart — with states made by the
real starter model through llama.cpp, and plain ones where only the
bookkeeping is tested."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine
from desktop_llm.core.engine_options import EngineOptions
from desktop_llm.core.events import Finished
from desktop_llm.core.state_cache import SavedState, StateCache

A = [{"role": "user", "content": "Describe how green tea is grown, picked and dried, step by step. " * 24}]
# longer than A: restoring A leaves B's keys and values beyond it in the cache, where they must not count
B = [{"role": "user", "content": "Describe how a river carves a valley over thousands of years. " * 40}]


def state(identity: str, tokens: list[int], size: int = 1000) -> SavedState:
    return SavedState(identity, np.asarray(tokens, dtype=np.int32), bytes(size))


def reply(engine, messages) -> tuple[str, int]:
    """The reply (greedy: the same for the same prompt) and how much of the prompt was reused."""
    for event in engine.stream_chat(messages, GenerationParams(max_tokens=16, temperature=0), threading.Event()):
        if isinstance(event, Finished):
            return event.result.text, event.stats.reused_tokens
    raise AssertionError("no reply")


def test_memory_is_bounded_and_the_least_recently_used_goes_first():
    cache = StateCache(memory_bytes=3 * (1000 + 50 * 4))  # three states of 40 tokens, with room to spare
    for i in range(3):
        cache.put(state("m", [i] * 40))
    assert cache.find("m", [0] * 40 + [7])[1] == 40  # used: now the most recent
    cache.put(state("m", [3] * 40))  # over the budget: [1]*40, the least recently used, goes
    assert len(cache) == 3 and cache.memory_used <= cache.memory_bytes
    assert cache.find("m", [1] * 40) is None and cache.find("m", [0] * 40) is not None
    # a longer state of the same conversation replaces the one it begins with
    cache.put(state("m", [0] * 40 + [5] * 10))
    assert len(cache) == 3 and cache.find("m", [0] * 50)[0].tokens.size == 50
    assert cache.find("m", [0] * 10) is None  # too short a shared start to be worth restoring
    assert cache.find("other model", [0] * 40) is None  # filed under its model's identity


def test_disk_copies_are_bounded_and_read_back(tmp_path):
    cache = StateCache(memory_bytes=1 << 20, folder=tmp_path, disk_bytes=2500)
    for i in range(3):
        cache.put(state("m", [i] * 300))
    cache.flush()
    kept = sorted(tmp_path.glob("*/*.kv"))
    assert len(kept) == 2 and sum(p.stat().st_size for p in kept) <= 2500  # the oldest went
    fresh = StateCache(memory_bytes=1 << 20, folder=tmp_path, disk_bytes=2500)  # the app started again
    found = fresh.find("m", [2] * 300 + [9])
    assert found is not None and found[1] == 300 and fresh.find("m", [0] * 300) is None
    beside = StateCache(memory_bytes=1 << 20, folder=tmp_path, disk_bytes=2500)  # e.g. the command line
    assert beside.find("m", [5] * 300) is None
    fresh.put(state("m", [5] * 300))
    fresh.flush()
    assert beside.find("m", [5] * 300)[1] == 300  # what another process saved since is found
    (kept[0].parent / "stray.kv.part").write_bytes(b"x")  # a write cut short by a crash
    fresh.put(state("m", [4] * 300))
    fresh.flush()
    assert not list(tmp_path.rglob("*.part"))


def test_going_back_to_a_conversation_reads_only_what_is_new(starter, tmp_path):
    cache = StateCache(1 << 30, tmp_path / "states", 1 << 30)
    engine = LlamaCppEngine(starter.path, n_ctx=1024, states=cache)
    plain = LlamaCppEngine(starter.path, n_ctx=1024)  # no memory: reads every prompt
    try:
        first, _ = reply(engine, A)
        reply(engine, B)  # another conversation takes the live context
        again = A + [{"role": "assistant", "content": first}, {"role": "user", "content": "And then?"}]
        answer, reused = reply(engine, again)
        prompt = len(engine.tokenize_prompt(again))
        assert reused > len(engine.tokenize_prompt(A)) - 2  # all of the first turn came back
        assert answer == reply(plain, again)[0]  # the restored memory answers as reading it would
        assert reused < prompt
    finally:
        engine.close()
        plain.close()
    cache.flush()
    restarted = LlamaCppEngine(starter.path, n_ctx=1024, states=StateCache(1 << 30, tmp_path / "states", 1 << 30))
    try:
        answer_after, reused_after = reply(restarted, again)
        assert reused_after >= prompt - 1 and answer_after == answer  # restored from disk after a restart
    finally:
        restarted.close()


def test_a_state_is_never_given_to_another_model_configuration(starter, tmp_path):
    cache = StateCache(1 << 30, tmp_path / "states", 1 << 30)
    engine = LlamaCppEngine(starter.path, n_ctx=1024, states=cache)
    try:
        reply(engine, A)
    finally:
        engine.close()
    other_context = LlamaCppEngine(starter.path, n_ctx=2048, states=cache)
    try:
        assert reply(other_context, A)[1] == 0
    finally:
        other_context.close()
    quantized_cache = LlamaCppEngine(starter.path, n_ctx=1024, states=cache,
                                     options=EngineOptions(kv_cache_type="q8_0"))  # another KV cache type
    try:
        text, reused = reply(quantized_cache, A)
        assert reused == 0 and text.strip()  # and the model runs with an 8-bit cache (flash attention on)
    finally:
        quantized_cache.close()
    copy = tmp_path / "copy.gguf"
    shutil.copy(starter.path, copy)
    os.utime(copy, (1, 1))
    changed = LlamaCppEngine(copy, n_ctx=1024, states=cache)  # another file: another identity
    try:
        assert reply(changed, A)[1] == 0
    finally:
        changed.close()


def test_a_saved_state_llama_cpp_refuses_is_read_afresh_and_dropped(starter, tmp_path):
    folder = tmp_path / "states"
    cache = StateCache(1 << 30, folder, 1 << 30)
    engine = LlamaCppEngine(starter.path, n_ctx=1024, states=cache)
    try:
        text, _ = reply(engine, A)
        cache.flush()
    finally:
        engine.close()
    for kv in folder.rglob("*.kv"):
        kv.write_bytes(b"\x00" * 64)  # damaged on disk
    restarted = LlamaCppEngine(starter.path, n_ctx=1024, states=StateCache(1 << 30, folder, 1 << 30))
    try:
        again, reused = reply(restarted, A)
        assert reused == 0 and again == text and not list(folder.rglob("*.kv"))
    finally:
        restarted.close()

