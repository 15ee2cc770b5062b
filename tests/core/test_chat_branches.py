"""Regenerate, edit, continue, per-conversation settings and context overflow,
with the real model."""

import pytest

from desktop_llm.core.chat import params_from
from desktop_llm.core.context import fit_to_context, reply_reserve
from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Failed, Finished, Started
from desktop_llm.core.presets import SYSTEM_PRESETS, preset_for

SHORT = GenerationParams(max_tokens=12, seed=7)


def finish(job):
    events = list(job.events())
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].result, next(e for e in events if isinstance(e, Started)).info


def test_regenerate_keeps_the_earlier_reply_as_an_alternative(core):
    model = core.resolve_model()
    first, _ = finish(core.chat.send("Suggest a name for a cat.", model, params=SHORT))
    cid = first.conversation_id
    second, _ = finish(core.chat.regenerate(first.message_id, model,
                                            params=GenerationParams(max_tokens=12, seed=99)))
    thread = core.history.messages(cid)
    assert [m.role for m in thread] == ["user", "assistant"]
    assert thread[-1].id == second.message_id != first.message_id
    assert core.history.alternatives(cid)[second.message_id] == [first.message_id, second.message_id]
    core.history.switch_branch(first.message_id)
    assert core.history.messages(cid)[-1].content == first.text
    with pytest.raises(UserError, match="Only a reply"):
        core.chat.regenerate(thread[0].id, model)


def test_edit_branches_from_the_edited_message(core):
    model = core.resolve_model()
    a, _ = finish(core.chat.send("Say hello.", model, params=SHORT))
    b, _ = finish(core.chat.send("Now say goodbye.", model, a.conversation_id, params=SHORT))
    cid = a.conversation_id
    old_user = core.history.messages(cid)[2]
    c, _ = finish(core.chat.edit(old_user.id, "Now say good night.", model, params=SHORT))
    thread = core.history.messages(cid)
    assert [m.content for m in thread[:3]] == ["Say hello.", a.text, "Now say good night."]
    assert thread[3].id == c.message_id
    assert core.history.alternatives(cid)[thread[2].id] == [old_user.id, thread[2].id]
    # The old branch is all still there.
    core.history.switch_branch(old_user.id)
    assert [m.id for m in core.history.messages(cid)][2:] == [old_user.id, b.message_id]
    with pytest.raises(UserError, match="empty"):
        core.chat.edit(old_user.id, "  ", model)


def test_continue_carries_on_a_reply_that_ran_out_of_tokens(core):
    model = core.resolve_model()
    cut, _ = finish(core.chat.send("Write a story about a lighthouse keeper.", model,
                                   params=GenerationParams(max_tokens=8, seed=3)))
    assert cut.finish_reason == "length"
    message = core.history.get_message(cut.message_id)
    assert message.can_continue
    more, info = finish(core.chat.continue_reply(cut.message_id, model,
                                                 params=GenerationParams(max_tokens=8, seed=3)))
    assert info["turn"].continued and more.message_id == cut.message_id
    assert more.text.startswith(cut.text) and len(more.text) > len(cut.text)
    assert core.history.get_message(cut.message_id).content == more.text
    assert len(core.history.messages(cut.conversation_id)) == 2  # same message, longer
    user = core.history.messages(cut.conversation_id)[0]
    with pytest.raises(UserError, match="cut off"):
        core.chat.continue_reply(user.id, model)


def test_conversation_settings_override_the_defaults(core):
    conversation = core.history.get_conversation(core.history.create_conversation(
        system_prompt=SYSTEM_PRESETS["Editor"], temperature=0.1, max_tokens=5))
    params = params_from(core.settings, conversation)
    assert (params.temperature, params.max_tokens, params.top_p) == (0.1, 5, core.settings.top_p)
    assert preset_for(conversation.system_prompt) == "Editor"
    result, _ = finish(core.chat.send("Fix: me and him goes to school.", core.resolve_model(),
                                      conversation.id))
    assert result.stats.completion_tokens <= 5


def test_new_conversation_takes_its_settings(core):
    result, _ = finish(core.chat.send("Hi", core.resolve_model(), params=SHORT,
                                      new_conversation={"system_prompt": "Be brief.", "top_p": 0.5}))
    conversation = core.history.get_conversation(result.conversation_id)
    assert (conversation.system_prompt, conversation.top_p) == ("Be brief.", 0.5)


# -- context overflow ------------------------------------------------------------------
def words(n):
    return " ".join(["lorem"] * n)


def count_words(messages):
    return sum(len(m["content"].split()) + 2 for m in messages)


def test_fit_keeps_everything_that_fits():
    messages = [{"role": "user", "content": "a b c"}]
    assert fit_to_context(messages, count_words, 100) == (messages, 0)


def test_fit_drops_the_oldest_turns_and_keeps_the_system_prompt():
    messages = [{"role": "system", "content": "rules"}] + [
        {"role": r, "content": words(10)} for r in ["user", "assistant"] * 5]
    kept, dropped = fit_to_context(messages, count_words, 40)
    assert kept[0]["role"] == "system" and kept[1]["role"] == "user"
    assert kept[1:] == messages[1 + dropped:]
    assert count_words(kept) <= 40 and dropped >= 8


def test_fit_refuses_a_message_that_cannot_fit_alone():
    messages = [{"role": "user", "content": "short"}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": words(500)}]
    with pytest.raises(UserError, match="too long"):
        fit_to_context(messages, count_words, 100)


def smallest_drop_that_fits(messages, budget):
    head = messages[:1] if messages[0]["role"] == "system" else []
    turns = messages[len(head):]
    return next(d for d in range(len(turns)) if count_words(head + turns[d:]) <= budget)


@pytest.mark.parametrize("budget", [30, 75, 200, 1000, 5000])
def test_fit_finds_the_same_turns_as_trying_every_cut(budget):
    lengths = [(i * 37) % 23 + 1 for i in range(120)]  # uneven turns
    messages = [{"role": "system", "content": "rules"}] + [
        {"role": ("user", "assistant")[i % 2], "content": words(n)} for i, n in enumerate(lengths)]
    kept, dropped = fit_to_context(messages, count_words, budget)
    expected = smallest_drop_that_fits(messages, budget)
    while expected < len(lengths) - 1 and messages[1 + expected]["role"] != "user":
        expected += 1
    assert dropped == expected and kept == messages[:1] + messages[1 + expected:]


def test_a_long_history_costs_what_the_prompt_holds():
    """A 2,000-turn conversation is never counted whole: the counts stay near the size of what is kept."""
    messages = [{"role": ("user", "assistant")[i % 2], "content": words(10)} for i in range(2000)]
    sizes = []

    def counting(ms):
        sizes.append(len(ms))
        return count_words(ms)

    kept, dropped = fit_to_context(messages, counting, 240)  # 20 turns of 12
    assert len(kept) == 20 and dropped == 1980
    assert max(sizes) <= 2 * len(kept) and len(sizes) <= 12


def test_reserve_is_at_most_half_the_context():
    assert reply_reserve(1024, 48) == 48
    assert reply_reserve(1024, 4000) == 512


def test_a_long_conversation_leaves_out_its_oldest_turns(core):
    model = core.resolve_model()
    cid = core.history.create_conversation(system_prompt="You are terse.")
    for i in range(12):  # ~1,500 tokens: more than the test context of 1024
        core.history.add_message(cid, "user", f"Note {i}: " + words(60))
        core.history.add_message(cid, "assistant", f"Noted {i}.")
    result, info = finish(core.chat.send("What was the last note number?", model, cid, params=SHORT))
    assert info["turn"].left_out > 0 and result.left_out == info["turn"].left_out
    assert result.stats.prompt_tokens <= 1024 - SHORT.max_tokens
    assert core.history.get_message(result.message_id).status == "done"


def test_a_message_too_long_for_the_context_is_refused_and_kept(core):
    model = core.resolve_model()
    job = core.chat.send("Summarize: " + words(1500), model, params=SHORT)
    events = list(job.events())
    assert isinstance(events[-1], Failed)
    assert "too long" in events[-1].user_message
    (conversation,) = core.history.list_conversations()
    messages = core.history.messages(conversation.id)
    assert [m.role for m in messages] == ["user"]  # the message is kept, no empty reply
    assert messages[0].content.startswith("Summarize: lorem")
