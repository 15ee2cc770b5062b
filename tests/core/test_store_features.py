"""History features: upgrade from schema 1, branches, search, trash, import."""

import sqlite3

import pytest

from desktop_llm.core.errors import UserError
from desktop_llm.core.store import History
from desktop_llm.core.store.migrations import LATEST, MIGRATIONS
from desktop_llm.core.store.records import HIT_END, HIT_START, fts_query


def _make_v1_file(db):
    con = sqlite3.connect(db)
    con.executescript(MIGRATIONS[0])
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (1)")
    ts = "2026-01-01T10:00:00.000+00:00"
    con.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('Old', ?, ?)", (ts, ts))
    for role, text in [("user", "Tell me about volcanoes"), ("assistant", "Volcanoes erupt."),
                       ("user", "And glaciers?"), ("assistant", "Glaciers flow slowly.")]:
        con.execute("INSERT INTO messages (conversation_id, role, content, created_at, updated_at)"
                    " VALUES (1, ?, ?, ?, ?)", (role, text, ts, ts))
    con.commit()
    con.close()


def test_upgrading_a_schema_1_file_keeps_every_message_as_one_branch(tmp_path):
    db = tmp_path / "history.db"
    _make_v1_file(db)
    history = History(db)
    assert history.schema_version() == LATEST
    assert (tmp_path / "history.db.v1.bak").exists()
    thread = history.messages(1)
    assert [m.content for m in thread] == [
        "Tell me about volcanoes", "Volcanoes erupt.", "And glaciers?", "Glaciers flow slowly."]
    assert [m.parent_id for m in thread] == [None, 1, 2, 3]
    assert sorted(h.message_id for h in history.search("glacier")) == [3, 4]
    assert not history.get_conversation(1).pinned


def _conversation(history):
    cid = history.create_conversation(first_message="Write a haiku about tea")
    first = history.add_message(cid, "assistant", "Steam rises slowly", model="m")
    return cid, first


def test_regenerated_replies_are_kept_as_alternatives(tmp_path):
    history = History(tmp_path / "h.db")
    cid, first = _conversation(history)
    user = history.messages(cid)[0]
    second = history.add_message(cid, "assistant", "Green leaves unfurl", parent_id=user.id)
    assert [m.content for m in history.messages(cid)] == ["Write a haiku about tea", "Green leaves unfurl"]
    alternatives = history.alternatives(cid)
    assert alternatives[first] == alternatives[second] == [first, second]
    assert alternatives[user.id] == [user.id]
    history.switch_branch(first)
    assert [m.content for m in history.messages(cid)][-1] == "Steam rises slowly"
    assert len(history.all_messages(cid)) == 3


def test_editing_a_message_starts_a_branch_and_keeps_the_old_one(tmp_path):
    history = History(tmp_path / "h.db")
    cid, first = _conversation(history)
    history.add_message(cid, "user", "Now one about coffee")
    history.add_message(cid, "assistant", "Dark roast morning")
    old_user = history.messages(cid)[2]
    edited = history.add_message(cid, "user", "Now one about cocoa", parent_id=old_user.parent_id)
    history.add_message(cid, "assistant", "Sweet and warm")
    assert [m.content for m in history.messages(cid)][2:] == ["Now one about cocoa", "Sweet and warm"]
    assert history.alternatives(cid)[edited] == [old_user.id, edited]
    leaf = history.switch_branch(old_user.id)  # follows the old branch to its end
    assert history.get_message(leaf).content == "Dark roast morning"
    assert [m.content for m in history.messages(cid)][2:] == ["Now one about coffee", "Dark roast morning"]


def test_search_finds_words_and_marks_them(tmp_path):
    history = History(tmp_path / "h.db")
    cid, _ = _conversation(history)
    other = history.create_conversation(first_message="Plan a lesson on photosynthesis for teenagers")
    hits = history.search("photosynth")
    assert [(h.conversation_id, h.role) for h in hits] == [(other, "user")]
    assert f"{HIT_START}photosynthesis{HIT_END}" in hits[0].marked_snippet
    assert "[photosynthesis]" in hits[0].snippet
    assert hits[0].as_dict()["message_id"] == hits[0].message_id
    assert history.search("haiku TEA")[0].conversation_id == cid  # every word, any case
    assert history.search("haiku coffee") == []


@pytest.mark.parametrize("query", [
    '"', '"unbalanced', "tea*", "*", "AND", "tea AND", "OR OR", "(tea", "tea)", "NEAR(tea",
    "col:tea", "^tea", "-tea", "{tea}", "tea NOT", "''", "   ", "", "\\", "%_",
])
def test_search_never_raises_on_query_syntax(tmp_path, query):
    history = History(tmp_path / "h.db")
    _conversation(history)
    hits = history.search(query)
    assert isinstance(hits, list)
    if query in ("tea*", "(tea", "tea)", "^tea", "-tea", "{tea}"):
        assert hits, f"{query!r} should still find the word"
    if query in ("tea AND", "col:tea"):  # operators are words like any other
        assert hits == []


def test_fts_query_quotes_every_word():
    assert fts_query('say "hi" AND (bye') == '"say"* "hi"* "AND"* "bye"*'
    assert fts_query("!!!") == ""


def test_streamed_text_is_searchable_and_edits_reindex(tmp_path):
    history = History(tmp_path / "h.db")
    cid = history.create_conversation(first_message="hello")
    mid = history.add_message(cid, "assistant", "", status="streaming")
    history.update_message(mid, "partial marmalade")
    assert [h.message_id for h in history.search("marmalade")] == [mid]
    history.update_message(mid, "final jam", "done")
    assert history.search("marmalade") == []
    assert [h.message_id for h in history.search("jam")] == [mid]


def test_trash_hides_and_restore_brings_back(tmp_path):
    history = History(tmp_path / "h.db")
    cid, _ = _conversation(history)
    history.trash_conversation(cid)
    assert history.list_conversations() == []
    assert history.search("haiku") == []
    history.restore_conversation(cid)
    assert [c.id for c in history.list_conversations()] == [cid]
    history.trash_conversation(cid)
    assert history.empty_trash() == 1
    assert history.connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
    assert history.connection.execute("SELECT COUNT(*) FROM messages_fts").fetchone()[0] == 0


def test_pinned_conversations_come_first_and_rename(tmp_path):
    history = History(tmp_path / "h.db")
    a = history.create_conversation(first_message="first")
    b = history.create_conversation(first_message="second")
    assert [c.id for c in history.list_conversations()] == [b, a]
    history.update_conversation(a, pinned=True)
    assert [c.id for c in history.list_conversations()] == [a, b]
    assert history.rename_conversation(b, "  My   lesson plan ").title == "My lesson plan"
    with pytest.raises(UserError, match="cannot be empty"):
        history.rename_conversation(b, "   ")
    with pytest.raises(ValueError):
        history.update_conversation(b, id=5)


def test_per_conversation_settings_are_stored(tmp_path):
    history = History(tmp_path / "h.db")
    cid = history.create_conversation(system_prompt="You are an editor.", temperature=0.2,
                                      max_tokens=300, first_message="Fix this")
    c = history.get_conversation(cid)
    assert (c.system_prompt, c.temperature, c.top_p, c.max_tokens) == ("You are an editor.", 0.2, None, 300)
    c = history.update_conversation(cid, temperature=None, top_p=0.5)
    assert (c.temperature, c.top_p) == (None, 0.5)


def test_insert_conversation_is_all_or_nothing(tmp_path):
    history = History(tmp_path / "h.db")
    messages = [{"id": 1, "parent": None, "role": "user", "content": "hi"},
                {"id": 2, "parent": 1, "role": "robot", "content": "bad role"}]
    with pytest.raises(sqlite3.IntegrityError):
        history.insert_conversation({"title": "Broken"}, messages)
    assert history.list_conversations() == []
    cid = history.insert_conversation({"title": "Good"}, [messages[0]])
    assert [m.content for m in history.messages(cid)] == ["hi"]
