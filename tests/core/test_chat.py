"""Chat turns through the host with the real model and a real history file."""

import threading
import time

import pytest

from desktop_llm.core.chat import FLUSH_S
from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Failed, Finished, Started, Token


def test_a_turn_is_saved_and_streamed(core):
    model = core.resolve_model()
    job = core.chat.send("Give me a title for a blog post about tea.", model)
    events = list(job.events())
    started = next(e for e in events if isinstance(e, Started))
    result = events[-1].result
    assert isinstance(events[-1], Finished)
    assert result.text == "".join(e.text for e in events if isinstance(e, Token))
    messages = core.history.messages(result.conversation_id)
    assert [(m.role, m.status) for m in messages] == [("user", "done"), ("assistant", "done")]
    assert messages[1].id == started.info["message_id"] == result.message_id
    assert messages[1].content == result.text
    assert messages[1].completion_tokens == result.stats.completion_tokens
    assert messages[1].model == model.name


def test_user_message_is_stored_before_generation(core):
    model = core.resolve_model()
    gate = threading.Event()

    def blocker(ctx):
        gate.wait(10)
        yield Finished(None)

    core.host.submit(blocker)
    job = core.chat.send("Are you there?", model)
    # The host is busy; the message must already be on disk.
    conversations = core.history.list_conversations()
    assert len(conversations) == 1
    msgs = core.history.messages(conversations[0].id)
    assert [(m.role, m.content) for m in msgs] == [("user", "Are you there?")]
    gate.set()
    assert isinstance(list(job.events())[-1], Finished)


def test_stop_keeps_the_partial_reply_as_stopped(core):
    model = core.resolve_model()
    job = core.chat.send("Write a long essay about rivers.", model,
                         params=GenerationParams(max_tokens=300, seed=5))
    count = 0
    for event in job.events():
        if isinstance(event, Token):
            count += 1
            if count == 5:
                job.cancel()
        last = event
    result = last.result
    assert result.status == "stopped"
    saved = core.history.get_message(result.message_id)
    assert saved.status == "stopped"
    assert saved.content == result.text and saved.content


def test_reply_is_flushed_while_streaming(core):
    model = core.resolve_model()
    job = core.chat.send("Write a long essay about mountains.", model,
                         params=GenerationParams(max_tokens=400, seed=9))
    snapshots = []
    t_first = None
    for event in job.events():
        if isinstance(event, Started):
            message_id = event.info["message_id"]
        if isinstance(event, Token):
            t_first = t_first or time.monotonic()
            if time.monotonic() - t_first > FLUSH_S * 2.5:
                saved = core.history.get_message(message_id)
                snapshots.append((saved.status, saved.content))
                job.cancel()
    assert snapshots, "the reply ended before a flush could be observed"
    status, content = snapshots[0]
    assert status == "streaming" and content  # partial text already on disk


def test_continuing_a_conversation_sends_the_earlier_turns(core):
    model = core.resolve_model()
    first = list(core.chat.send("My name is Ada.", model).events())[-1].result
    second = list(core.chat.send("What is my name?", model, first.conversation_id).events())[-1].result
    assert second.conversation_id == first.conversation_id
    assert second.stats.prompt_tokens > first.stats.prompt_tokens + 5
    assert len(core.history.messages(first.conversation_id)) == 4


def test_empty_message_is_refused(core):
    with pytest.raises(UserError, match="empty"):
        core.chat.send("   ", core.resolve_model())
    assert core.history.list_conversations() == []


def test_a_model_that_fails_to_load_keeps_the_users_message(core, tmp_path):
    from desktop_llm.core.models import LocalModel

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    job = core.chat.send("Please keep this text.", LocalModel("broken", bad, "file"))
    failed = list(job.events())[-1]
    assert isinstance(failed, Failed)
    assert "broken.gguf is a GGUF file of version 0" in failed.user_message
    conv = core.history.list_conversations()[0]
    assert [m.content for m in core.history.messages(conv.id)] == ["Please keep this text."]


def test_prompt_leaves_out_failed_replies_and_keeps_roles_alternating(tmp_path):
    from desktop_llm.core.chat import prompt_messages
    from desktop_llm.core.store import History

    history = History(tmp_path / "h.db")
    cid = history.create_conversation()
    history.add_message(cid, "user", "First question")
    failed = history.add_message(cid, "assistant", "", status="streaming")
    history.update_message(failed, "", "error", error="boom")
    history.add_message(cid, "user", "Second try")
    partial = history.add_message(cid, "assistant", "", status="streaming")
    history.update_message(partial, "Half an answer", "stopped")
    messages = prompt_messages(history.messages(cid), "Be brief.")
    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "First question\n\nSecond try"},
        {"role": "assistant", "content": "Half an answer"},
    ]


def test_no_empty_conversation_is_left_when_the_first_message_cannot_be_saved(core):
    db = core.history.connection
    db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(UserError, match="disk is full"):
        core.chat.send("x" * 200_000, core.resolve_model())
    assert core.history.list_conversations() == []
