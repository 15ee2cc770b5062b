"""The model host: one thread, queued jobs, failures contained."""

import threading
import time

import pytest

from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Failed, Finished, Progress
from desktop_llm.core.host import JobKind, ModelHost
from desktop_llm.core.models.guard import ModelGuard
from desktop_llm.core.paths import AppPaths


def make_host(tmp_path):
    paths = AppPaths(config_dir=tmp_path / "c", data_dir=tmp_path / "d").ensure()
    return ModelHost(ModelGuard(paths))


def test_jobs_run_in_order_on_one_thread(tmp_path):
    host = make_host(tmp_path)
    threads, order = set(), []

    def job(n):
        def run(ctx):
            threads.add(threading.current_thread().name)
            order.append(n)
            yield Progress(n, 3, "step")
            yield Finished(n)
        return run

    jobs = [host.submit(job(n)) for n in range(3)]
    results = [[e for e in j.events()][-1].result for j in jobs]
    assert results == [0, 1, 2] and order == [0, 1, 2]
    assert threads == {"model-host"}
    host.shutdown()


def test_a_failing_job_does_not_kill_the_host(tmp_path):
    host = make_host(tmp_path)

    def boom(ctx):
        yield Progress(0, 1, "about to fail")
        raise RuntimeError("kaboom")

    def user_mistake(ctx):
        raise UserError("That file is not a model.")
        yield  # pragma: no cover

    def ok(ctx):
        yield Finished("fine")

    events = list(host.submit(boom).events())
    assert isinstance(events[-1], Failed) and "kaboom" in events[-1].user_message
    assert "Traceback" in events[-1].detail
    failed = list(host.submit(user_mistake).events())[-1]
    assert failed.user_message == "That file is not a model."
    assert list(host.submit(ok).events())[-1].result == "fine"
    host.shutdown()


def test_cancel_reaches_a_running_job_and_queued_ones(tmp_path):
    host = make_host(tmp_path)
    started = threading.Event()

    def waits_for_cancel(ctx):
        started.set()
        ctx.cancel.wait(10)
        yield Finished("cancelled" if ctx.cancel.is_set() else "timeout")

    def never(ctx):
        yield Finished("ran")

    running = host.submit(waits_for_cancel)
    queued = host.submit(never)
    started.wait(5)
    host.cancel_all()
    assert list(running.events())[-1].result == "cancelled"
    assert isinstance(list(queued.events())[-1], Failed)
    host.shutdown()


def test_listener_receives_events_on_the_host_thread(tmp_path):
    host = make_host(tmp_path)
    got, done = [], threading.Event()

    def listener(event):
        got.append((threading.current_thread().name, event))
        if isinstance(event, Finished):
            done.set()

    host.submit(lambda ctx: iter([Progress(1, 1, "x"), Finished(1)]), listener)
    assert done.wait(5)
    assert [name for name, _ in got] == ["model-host", "model-host"]
    host.shutdown()


def test_loading_a_bad_model_fails_clearly(tmp_path):
    from desktop_llm.core.models import LocalModel

    bad = tmp_path / "bad.gguf"
    bad.write_text("nope")
    host = make_host(tmp_path)
    events = list(host.load(LocalModel("bad", bad, "file")).events())
    assert isinstance(events[-1], Failed)
    assert "not a GGUF model file" in events[-1].user_message
    assert host.loaded_model is None
    host.shutdown()


def test_a_chat_turn_goes_between_the_blocks_of_a_translation(core, tmp_path):
    """Interactive first: a chat turn sent while a document is translated waits (and says for what)
    only for the block in hand, then the translation carries on and ends whole."""
    from desktop_llm.core.documents.readers import read_markdown
    from desktop_llm.core.events import Partial, Token

    source = tmp_path / "notes.md"
    source.write_text("\n\n".join(f"Paragraph {i}: the garden needs water every morning." for i in range(8)),
                      encoding="utf-8")
    order: list[str] = []
    seen, ended = threading.Event(), []

    def on_translation(event):
        if isinstance(event, Partial):
            order.append("block")
            seen.set()
        elif isinstance(event, Finished | Failed):
            order.append("translation ended")
            ended.append(event)

    model = core.resolve_model()
    core.translator.translate(source, read_markdown(source.read_text()), model, "es", listener=on_translation)
    assert seen.wait(120)  # the first block is done: the translation is under way
    turn = core.chat.send("Say hello.", model)
    events = list(turn.events())
    order.append("chat ended")
    waiting = [e for e in events if isinstance(e, Progress) and e.total == 0]
    assert waiting and "translating a document" in waiting[0].label and "goes first" in waiting[0].label
    assert any(isinstance(e, Token) for e in events) and isinstance(events[-1], Finished)
    deadline = time.monotonic() + 300
    while not ended and time.monotonic() < deadline:
        time.sleep(0.05)
    assert isinstance(ended[0], Finished), ended
    assert order.index("chat ended") < order.index("translation ended")
    assert 0 < order.index("chat ended") < order.count("block") + 1  # it went in between the blocks
    assert ended[0].result.translated_blocks == 8 and order.count("block") == 8


def test_a_request_for_another_model_waits_for_the_long_job_and_says_so(tmp_path):
    host = make_host(tmp_path)
    release, running = threading.Event(), threading.Event()

    def long_job(ctx):
        running.set()
        for part in range(3):
            release.wait(10)
            yield Progress(part, 3, "part")
            yield from ctx.give_way()
        yield Finished("long")

    order = []
    long = host.submit(long_job, lambda e: isinstance(e, Finished) and order.append("long"), kind=JobKind.TRANSLATE)
    assert running.wait(10)
    other = host.submit(lambda ctx: iter([Finished("other")]), kind=JobKind.API, info={"model": "another-model"})
    release.set()
    events = list(other.events())
    order.append("other")
    assert "goes next" in events[0].label and order == ["long", "other"]
    assert long.kind == JobKind.TRANSLATE and host.current_kind == JobKind.NONE
    host.shutdown()


def test_the_model_runs_below_the_windows_priority(tmp_path):
    """llama.cpp's threads, made from the host thread, inherit its niceness: when the window and the
    model both want the CPU the window wins (on 2 cores, at niceness 5 it still waited 20-40 ms)."""
    import os

    if not hasattr(os, "getpriority"):
        pytest.skip("no per-thread niceness on this system")
    host = make_host(tmp_path)

    def niceness(ctx):
        yield Finished(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    theirs = list(host.submit(niceness).events())[-1].result
    assert theirs >= min(19, mine + 10)
    host.shutdown()
