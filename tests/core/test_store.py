"""SQLite history: migrations, round trips, crash recovery."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.store import History
from desktop_llm.core.store.migrations import LATEST
from tests.conftest import run_cli


def test_migrates_an_empty_file(tmp_path):
    db = tmp_path / "history.db"
    db.touch()
    history = History(db)
    assert history.schema_version() == LATEST
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    history.close()
    # Opening again is a no-op.
    again = History(db)
    assert again.schema_version() == LATEST
    again.close()


def test_refuses_a_newer_schema(tmp_path):
    db = tmp_path / "history.db"
    History(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE schema_version SET version=?", (LATEST + 5,))
    con.commit()
    con.close()
    with pytest.raises(UserError, match="newer version"):
        History(db)


def test_refuses_a_corrupt_file_clearly(tmp_path):
    db = tmp_path / "history.db"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="cannot be opened"):
        History(db)
    assert db.read_bytes().startswith(b"this is not")  # nothing overwritten


def test_round_trip(tmp_path):
    history = History(tmp_path / "h.db")
    cid = history.create_conversation(model="m")
    history.add_message(cid, "user", "  Plan a lesson about   volcanoes for 10-year-olds  ")
    mid = history.add_message(cid, "assistant", "", status="streaming", model="m")
    history.update_message(mid, "Part of the answer")
    history.update_message(mid, "The whole answer", "done",
                           {"prompt_tokens": 12, "completion_tokens": 3, "ttft_s": 0.1,
                            "tokens_per_second": 99.5})
    conv = history.get_conversation(cid)
    assert conv.title == "Plan a lesson about volcanoes for 10-year-olds"
    assert conv.message_count == 2
    msgs = history.messages(cid)
    assert [m.role for m in msgs] == ["user", "assistant"]
    assert msgs[1].content == "The whole answer"
    assert msgs[1].status == "done"
    assert msgs[1].completion_tokens == 3 and msgs[1].tokens_per_second == 99.5
    assert [c.id for c in history.list_conversations()] == [cid]
    history.close()
    # Survives reopening.
    reopened = History(tmp_path / "h.db")
    assert reopened.messages(cid)[1].content == "The whole answer"
    reopened.delete_conversation(cid)
    assert reopened.list_conversations() == []
    assert reopened.connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
    with pytest.raises(NotFound, match="No conversation with id"):
        reopened.get_conversation(cid)


def test_long_titles_are_shortened(tmp_path):
    history = History(tmp_path / "h.db")
    cid = history.create_conversation()
    history.add_message(cid, "user", "word " * 50)
    title = history.get_conversation(cid).title
    assert len(title) <= 60 and title.endswith("…")


def test_row_left_streaming_by_a_dead_process_is_marked_interrupted(tmp_path):
    db = tmp_path / "h.db"
    history = History(db)
    cid = history.create_conversation()
    history.add_message(cid, "user", "Hello")
    live = history.add_message(cid, "assistant", "kept text", status="streaming")
    history.close()
    # Another process writes a streaming row and dies without finishing it.
    code = (
        "import sys; from desktop_llm.core.store import History;"
        f"h = History(sys.argv[1]); h.add_message({cid}, 'assistant', 'half a reply', status='streaming');"
        "import os; os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)
    reopened = History(db)
    by_content = {m.content: m.status for m in reopened.messages(cid)}
    assert by_content["half a reply"] == "interrupted"
    assert by_content["kept text"] == "streaming"  # our own process is alive: not touched
    assert reopened.get_message(live).status == "streaming"


def test_a_full_disk_is_reported_clearly_and_loses_nothing_saved(tmp_path):
    history = History(tmp_path / "h.db")
    cid = history.create_conversation()
    history.add_message(cid, "user", "kept")
    pages = history.connection.execute("PRAGMA page_count").fetchone()[0]
    history.connection.execute(f"PRAGMA max_page_count={pages}")  # SQLite reports SQLITE_FULL past this
    with pytest.raises(UserError, match="disk is full"):
        history.add_message(cid, "user", "x" * 200_000)
    assert [m.content for m in history.messages(cid)] == ["kept"]


def damage_a_page_of_messages(db) -> None:
    """Overwrite one b-tree page in the middle of the messages table with garbage."""
    con = sqlite3.connect(db)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    pages = sorted(r[0] for r in con.execute("SELECT pageno FROM dbstat WHERE name='messages' AND pagetype='leaf'"))
    con.close()
    victim = pages[len(pages) // 2]
    with open(db, "r+b") as f:
        f.seek((victim - 1) * page_size)
        f.write(bytes(range(256)) * (page_size // 256))


def a_history_worth_saving(db) -> int:
    history = History(db)
    for c in range(20):
        cid = history.create_conversation(title=f"Lesson {c}", first_message=f"Plan lesson {c}")
        for m in range(15):
            history.add_message(cid, "assistant", f"Part {m} of lesson {c}: " + "volcanoes erupt " * 20)
    count = history.connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    history.close()
    return count


def test_a_damaged_history_is_left_untouched_and_recovered(tmp_path):
    from desktop_llm.core.store.recovery import DamagedHistory, recover

    db = tmp_path / "history.db"
    total = a_history_worth_saving(db)
    damage_a_page_of_messages(db)
    damaged_bytes = db.read_bytes()
    with pytest.raises(DamagedHistory, match="is damaged") as caught:
        History(db)
    assert "desktop-llm history recover" in caught.value.message
    assert db.read_bytes() == damaged_bytes  # never written to
    report = recover(db)
    assert report.damaged_kept_as.read_bytes() == damaged_bytes
    assert report.saved["conversations"] == 20 and 0 < report.lost["messages"] < total // 4
    assert report.saved["messages"] + report.lost["messages"] == total
    history = History(db)  # the new history opens, and every conversation still shows its branch
    assert len(history.list_conversations()) == 20
    shown = sum(len(history.messages(c.id)) for c in history.list_conversations())
    assert shown == report.saved["messages"]
    assert history.search("volcanoes")  # the search index was rebuilt from what was saved
    history.add_message(history.list_conversations()[0].id, "user", "And now?")  # writable again
    history.close()


def test_the_command_line_explains_a_damaged_history_and_recovers_it(app_home):
    from desktop_llm.core.paths import AppPaths

    db = AppPaths.from_env().ensure().history_db
    a_history_worth_saving(db)
    damage_a_page_of_messages(db)
    for command in (["history", "list"], ["history", "show", "1"], ["history", "search", "tea"],
                    ["chat", "hello"], ["history", "delete", "1"]):
        done = run_cli(*command, home=app_home)
        assert done.returncode == 1 and "damaged" in done.stderr and "Traceback" not in done.stderr, command
    before = db.read_bytes()
    done = run_cli("history", "recover", "--json", home=app_home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert Path(report["damaged_file"]).read_bytes() == before and report["saved"]["conversations"] == 20
    listed = run_cli("history", "list", "--json", home=app_home)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 20


def test_a_read_only_history_can_still_be_read(tmp_path):
    import os

    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "history.db"
    a_history_worth_saving(db)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        history = History(db)
        assert history.read_only and len(history.list_conversations()) == 20
        with pytest.raises(UserError, match="read-only|permission"):
            history.add_message(1, "user", "more")
        history.close()
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
