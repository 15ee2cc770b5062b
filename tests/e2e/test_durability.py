"""Killing the app (SIGKILL) mid-reply, again and again, loses no finished
message; the reply being written keeps what was flushed, marked interrupted."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from desktop_llm.core.paths import HOME_ENV
from desktop_llm.core.store import History
from tests.conftest import set_settings

PROGRAM = Path(__file__).parents[1] / "programs" / "gui_until_killed.py"
ROUNDS = 3


def run_until_streaming(home: Path, conversation: str) -> tuple[int, int]:
    """Run the program until its long reply is streaming; the conversation's id and how many
    times the program asked again because a reply ended early."""
    env = dict(os.environ, **{HOME_ENV: str(home), "QT_QPA_PLATFORM": "offscreen"})
    errors = home / "child-stderr.txt"  # a file, not a pipe nobody reads: the child never blocks on it
    with errors.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, str(PROGRAM), conversation], stdout=subprocess.PIPE,
                                stderr=stderr, text=True, env=env)
    try:
        conversation_id = None
        retries = 0
        seen = []
        for line in proc.stdout:
            seen.append(line)
            retries += line.startswith("RETRY")
            if line.startswith("STREAMING"):
                conversation_id = int(line.split()[1])
                break
        assert conversation_id is not None, "".join(seen) + errors.read_text()[-2000:]
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait(10)
        return conversation_id, retries
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_repeated_sigkill_mid_reply(app_home):
    set_settings(app_home, n_ctx=1024)
    db_file = app_home / "data" / "history.db"
    conversation = "new"
    finished: dict[int, tuple] = {}  # message id -> (role, content, status) of messages that ended
    expected = 0
    for round_ in range(ROUNDS):
        conversation_id, retries = run_until_streaming(app_home, conversation)
        # Each round adds a short question, its reply, a long question and the killed reply;
        # each retry, one more question and the reply that ended early.
        expected += 4 + 2 * retries
        conversation = str(conversation_id)
        con = sqlite3.connect(db_file)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        history = History(db_file)  # opening marks the dead writer's row interrupted
        try:
            messages = history.all_messages(conversation_id)
            for m in messages:
                if m.id in finished:
                    assert (m.role, m.content, m.status) == finished[m.id], f"round {round_}: {m.id} changed"
            interrupted = [m for m in messages if m.status == "interrupted"]
            assert len(interrupted) == round_ + 1
            assert interrupted[-1].content  # what was flushed before the kill survives
            assert all(m.status in ("done", "interrupted") for m in messages)
            for m in messages:
                finished[m.id] = (m.role, m.content, m.status)
            assert len(messages) == expected
        finally:
            history.close()
