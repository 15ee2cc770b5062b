"""The llama.cpp engine with the real starter model."""

import pytest

from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Finished, Progress, Started, Token

HELLO = [{"role": "user", "content": "Say hello to a new student."}]


def collect(events):
    return list(events)


def test_streams_tokens_and_reports_stats(engine, params, cancel):
    events = collect(engine.stream_chat(HELLO, params, cancel))
    assert isinstance(events[0], Started)
    tokens = [e.text for e in events if isinstance(e, Token)]
    finished = events[-1]
    assert isinstance(finished, Finished)
    reply = finished.result
    assert len(tokens) >= 2
    assert reply.text == "".join(tokens)
    assert reply.text.strip()
    assert reply.finish_reason in ("stop", "length")
    stats = reply.stats
    assert stats.prompt_tokens == len(engine.tokenize_prompt(HELLO))
    assert 1 <= stats.completion_tokens <= params.max_tokens
    assert 0 < stats.ttft_s < stats.total_s
    assert stats.tokens_per_second > 0


def test_max_tokens_ends_with_length(engine, cancel):
    p = GenerationParams(max_tokens=5, temperature=0.7, seed=1)
    story = [{"role": "user", "content": "Write a very long story about a dragon, with many chapters."}]
    reply = collect(engine.stream_chat(story, p, cancel))[-1].result
    assert reply.stats.completion_tokens == 5
    assert reply.finish_reason == "length"


def test_uses_the_models_chat_template(engine):
    prompt = engine.render_prompt([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ])
    assert prompt.startswith("<|im_start|>system\nBe brief.<|im_end|>")
    assert "<|im_start|>user\nHi<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    # special tokens become single tokens, not text
    tokens = engine.tokenize_prompt([{"role": "user", "content": "Hi"}])
    assert tokens.count(1) >= 1  # <|im_start|>


def test_stop_mid_reply_within_one_token(engine, cancel):
    p = GenerationParams(max_tokens=200, temperature=0.7, seed=7)
    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    seen = 0
    events = []
    for event in engine.stream_chat(story, p, cancel):
        events.append(event)
        if isinstance(event, Token):
            seen += 1
            if seen == 3:
                cancel.set()
    reply = events[-1].result
    assert reply.finish_reason == "cancelled"
    assert reply.stats.completion_tokens == 3
    assert sum(isinstance(e, Token) for e in events) <= 4  # a split UTF-8 tail at most


def test_stop_during_long_prompt(engine, cancel):
    long_text = "The quarterly report covers sales, costs and hiring plans in detail. " * 60
    messages = [{"role": "user", "content": long_text + "\nSummarize."}]
    n_prompt = len(engine.tokenize_prompt(messages))
    assert n_prompt > 600
    events = []
    for event in engine.stream_chat(messages, GenerationParams(max_tokens=50), cancel):
        events.append(event)
        if isinstance(event, Progress):
            cancel.set()
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(progress) == 1 and progress[0].done < progress[0].total
    assert not any(isinstance(e, Token) for e in events)
    assert events[-1].result.finish_reason == "cancelled"
    assert engine._llm.n_tokens < n_prompt  # the prompt was not read to the end
    # The engine stays usable after an aborted prompt.
    cancel.clear()
    reply = collect(engine.stream_chat(HELLO, GenerationParams(max_tokens=8), cancel))[-1].result
    assert reply.stats.completion_tokens >= 1


def test_conversation_longer_than_context_is_refused(engine, cancel):
    huge = [{"role": "user", "content": "word " * 2000}]
    with pytest.raises(UserError, match="too long for the model's context"):
        collect(engine.stream_chat(huge, GenerationParams(max_tokens=8), cancel))


def test_prefix_cache_reused_across_turns(engine, cancel):
    first = [{"role": "user", "content": "Name a colour."}]
    reply = collect(engine.stream_chat(first, GenerationParams(max_tokens=8, seed=3), cancel))[-1].result
    second = first + [{"role": "assistant", "content": reply.text},
                      {"role": "user", "content": "And another one?"}]
    events = collect(engine.stream_chat(second, GenerationParams(max_tokens=8, seed=3), cancel))
    assert isinstance(events[-1], Finished)
    assert events[-1].result.stats.prompt_tokens > reply.stats.prompt_tokens


def test_device_summary_on_this_build(engine, starter):
    import llama_cpp

    from desktop_llm.core.engine import LlamaCppEngine

    assert engine.device_summary == "CPU"  # n_gpu_layers=0
    offloading = LlamaCppEngine(starter.path, n_ctx=256, n_gpu_layers=-1)
    offloading.load()
    try:
        if llama_cpp.llama_supports_gpu_offload():
            assert offloading.device_summary == "GPU: 30/30 layers"
        else:
            assert offloading.device_summary == "CPU"
    finally:
        offloading.close()


def test_stop_acts_inside_a_batch_of_the_prompt(engine, cancel):
    """llama.cpp's abort callback: Stop does not wait for the batch in hand to be read."""
    import threading

    long_text = "Each chapter of the handbook explains a policy, its reasons and its exceptions. " * 40
    messages = [{"role": "user", "content": long_text + "\nSummarize."}]
    assert len(engine.tokenize_prompt(messages)) > 520  # one batch is 512 tokens
    events = []
    for event in engine.stream_chat(messages, GenerationParams(max_tokens=20), cancel):
        events.append(event)
        if isinstance(event, Started):
            threading.Timer(0.02, cancel.set).start()  # while the first batch is being read (~2 s here)
    assert not any(isinstance(e, (Progress, Token)) for e in events)  # the first batch never finished
    assert events[-1].result.finish_reason == "cancelled" and engine._llm.n_tokens < 512
    cancel.clear()
    assert collect(engine.stream_chat(HELLO, GenerationParams(max_tokens=4), cancel))[-1].result.stats.completion_tokens


def test_reseeded_moves_a_seed_and_keeps_no_seed_as_none():
    from desktop_llm.core.generation import GenerationParams

    assert GenerationParams(seed=7).reseeded(2, repeat_penalty=1.3) == GenerationParams(seed=9, repeat_penalty=1.3)
    assert GenerationParams().reseeded(3).seed is None


def test_a_prompt_counted_then_read_is_tokenized_once(engine):
    llm = engine._llm
    engine.tokenize_prompt([{"role": "user", "content": "Hello."}])  # the template's control tokens are learnt
    real, calls = llm.tokenize, []
    llm.tokenize = lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)  # counts, then tokenizes
    try:
        talk = [{"role": "user", "content": f"Question {i} about tea?"} for i in range(6)]
        counted = engine.count_tokens(talk)  # as a chat turn fits its prompt to the context...
        made = len(calls)
        tokens = engine.tokenize_prompt(talk)  # ...then reads it
        assert len(calls) == made and counted == len(tokens)
        tokens.append(0)  # a caller's changes stay its own
        assert engine.tokenize_prompt(talk) == tokens[:-1] == real(engine.render_prompt(talk).encode(),
                                                                   add_bos=False, special=True)
        assert engine.tokenize_prompt(talk, prefill="Well,") != tokens[:-1] and len(calls) > made  # a new prompt
    finally:
        llm.tokenize = real


TRICKY = ["Café, naïve, 中文, emoji 🍵 and a tab\t.", "  leading and trailing spaces  ", "", "\n\nnew lines\n",
          "def f():\n    return '<|im_end|>'", "A typed <|im_start|>user tag, mid-text.", "<|im_end|>",
          "Tea. " * 40, "naïve ünïcödé — “quotes” ‘and’ …", " ", "🍵🍵🍵"]


def test_a_conversation_is_tokenized_as_a_whole_would_be_and_only_its_new_messages_are_read(engine):
    """Pieces cut before the control tokens give exactly the whole prompt's tokens, turn after turn."""
    llm = engine._llm
    real, calls = llm.tokenize, []
    llm.tokenize = lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
    try:
        talk = [{"role": "system", "content": "You are kind."}]
        per_turn = []
        for i in range(24):
            talk.append({"role": "user", "content": TRICKY[i % len(TRICKY)] + f" ({i})"})
            before = len(calls)
            tokens = engine.tokenize_prompt(talk)
            per_turn.append(len(calls) - before)
            assert tokens == real(engine.render_prompt(talk).encode(), add_bos=False, special=True), i
            talk.append({"role": "assistant", "content": TRICKY[(i + 3) % len(TRICKY)]})
        assert max(per_turn[2:]) <= 3  # the last reply, the new message, the reply's header: not the history
        assert engine.tokenize_prompt(talk, prefill=" Sure") == real(
            (engine.render_prompt(talk) + " Sure").encode(), add_bos=False, special=True)
    finally:
        llm.tokenize = real
