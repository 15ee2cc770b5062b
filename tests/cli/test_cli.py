"""The `desktop-llm` command, run as a real subprocess."""

import json
import os
import signal
import subprocess
import sys
import time

from desktop_llm import __version__
from desktop_llm.core.paths import HOME_ENV
from tests.conftest import run_cli, set_settings


def test_version(app_home):
    r = run_cli("--version", home=app_home)
    assert r.returncode == 0 and __version__ in r.stdout


def test_chat_streams_and_saves(app_home):
    r = run_cli("chat", "Write one sentence about the sea.", home=app_home)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    listed = json.loads(run_cli("history", "list", "--json", home=app_home).stdout)
    assert len(listed) == 1
    entry = listed[0]
    assert set(entry) >= {"id", "title", "updated_at", "message_count"}
    assert entry["message_count"] == 2
    assert entry["title"] == "Write one sentence about the sea."
    shown = json.loads(run_cli("history", "show", str(entry["id"]), "--json", home=app_home).stdout)
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
    assert shown["messages"][1]["content"].strip() == r.stdout.strip()
    plain = run_cli("history", "show", str(entry["id"]), home=app_home)
    assert "## user" in plain.stdout and "## assistant" in plain.stdout


def test_chat_json_and_continue(app_home):
    r = run_cli("chat", "--json", "Name a fruit.", home=app_home)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"conversation_id", "message_id", "model", "text", "finish_reason",
                        "left_out_messages", "prompt_tokens", "completion_tokens",
                        "ttft_s", "tokens_per_second", "reused_tokens"}
    assert out["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert out["prompt_tokens"] > 0 and out["completion_tokens"] > 0
    assert out["ttft_s"] > 0 and out["tokens_per_second"] > 0
    again = run_cli("chat", "--json", "--conversation", str(out["conversation_id"]), "Another one?",
                    home=app_home)
    second = json.loads(again.stdout)
    assert second["conversation_id"] == out["conversation_id"]
    assert second["prompt_tokens"] > out["prompt_tokens"]
    listed = json.loads(run_cli("history", "list", "--json", home=app_home).stdout)
    assert [c["message_count"] for c in listed] == [4]


def test_prompt_from_stdin(app_home):
    r = run_cli("chat", "--json", home=app_home, input="Say hi to Sam.\n")
    assert r.returncode == 0, r.stderr
    conv = json.loads(r.stdout)["conversation_id"]
    shown = json.loads(run_cli("history", "show", str(conv), "--json", home=app_home).stdout)
    assert shown["messages"][0]["content"] == "Say hi to Sam.\n"


def test_model_given_by_path(app_home, starter):
    r = run_cli("chat", "--json", "--model", str(starter.path), "Hi", home=app_home)
    assert r.returncode == 0, r.stderr


def _one_line_error(r):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("desktop-llm: ")
    return lines[0]


def test_missing_model_file(app_home, tmp_path):
    line = _one_line_error(run_cli("chat", "--model", str(tmp_path / "nope.gguf"), "Hi", home=app_home))
    assert "not found" in line


def test_not_a_gguf(app_home, tmp_path):
    f = tmp_path / "essay.gguf"
    f.write_text("Dear diary")
    line = _one_line_error(run_cli("chat", "--model", str(f), "Hi", home=app_home))
    assert "not a GGUF model file" in line
    # Refused up front: no conversation is started with a model that cannot work.
    assert json.loads(run_cli("history", "list", "--json", home=app_home).stdout) == []


def test_unknown_model_name(app_home):
    line = _one_line_error(run_cli("chat", "--model", "gpt-17", "Hi", home=app_home))
    assert "No model named 'gpt-17'" in line and "SmolLM2" in line


def test_empty_prompt(app_home):
    _one_line_error(run_cli("chat", "   ", home=app_home))
    line = _one_line_error(run_cli("chat", home=app_home, input=""))
    assert "empty" in line
    assert json.loads(run_cli("history", "list", "--json", home=app_home).stdout) == []


def test_unknown_conversation(app_home):
    line = _one_line_error(run_cli("chat", "--conversation", "999", "Hi", home=app_home))
    assert "No conversation with id 999" in line
    _one_line_error(run_cli("history", "show", "999", home=app_home))


def test_ctrl_c_stops_and_saves_the_partial_reply(app_home):
    set_settings(app_home, max_tokens=2000)
    env = dict(os.environ, **{HOME_ENV: str(app_home)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_llm", "chat", "Write a very long story about a ship."],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    first = proc.stdout.read(1)  # wait for the first streamed character
    assert first
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    conv = json.loads(run_cli("history", "list", "--json", home=app_home).stdout)[0]
    shown = json.loads(run_cli("history", "show", str(conv["id"]), "--json", home=app_home).stdout)
    reply = shown["messages"][1]
    assert reply["status"] == "stopped"
    assert reply["content"] and reply["completion_tokens"] < 2000


def test_subcommands_import_neither_qt_nor_llama(app_home):
    code = (
        "import sys; from desktop_llm.cli import main; main(['history', 'list', '--json']);"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'llama_cpp'))];"
        "print('LOADED', bad)"
    )
    env = dict(os.environ, **{HOME_ENV: str(app_home)})
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "LOADED []" in r.stdout, r.stdout + r.stderr


def test_interactive_chat_in_a_terminal(app_home):
    """Without a prompt and with a terminal on stdin, `chat` is a REPL."""
    import pty
    import select

    primary, secondary = pty.openpty()
    env = dict(os.environ, **{HOME_ENV: str(app_home)})
    proc = subprocess.Popen([sys.executable, "-m", "desktop_llm", "chat"], stdin=secondary,
                            stdout=secondary, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    seen = b""

    def read_until(marker: bytes, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(primary, 4096)
                except OSError:
                    break
        assert marker in seen, seen.decode(errors="replace")

    read_until(b"> ")
    os.write(primary, b"Name a planet.\n")
    seen = b""
    read_until(b"\n> ")  # the reply, then the prompt again
    os.write(primary, b"/exit\n")
    assert proc.wait(timeout=30) == 0
    os.close(primary)
    conv = json.loads(run_cli("history", "list", "--json", home=app_home).stdout)
    assert len(conv) == 1 and conv[0]["message_count"] == 2


def test_killed_mid_reply_keeps_the_flushed_text_as_interrupted(app_home):
    set_settings(app_home, max_tokens=2000)
    env = dict(os.environ, **{HOME_ENV: str(app_home)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_llm", "chat", "Write a very long story about a harbour."],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert proc.stdout.read(1)  # streaming has begun
    time.sleep(0.8)  # past the first flush to disk (every 0.5 s)
    proc.kill()
    proc.wait(timeout=30)
    conv = json.loads(run_cli("history", "list", "--json", home=app_home).stdout)[0]
    shown = json.loads(run_cli("history", "show", str(conv["id"]), "--json", home=app_home).stdout)
    user, reply = shown["messages"]
    assert user["content"] == "Write a very long story about a harbour."
    assert reply["status"] == "interrupted"
    assert reply["content"]  # what was flushed survives the kill
    import sqlite3

    db = sqlite3.connect(app_home / "data" / "history.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_bench_measures_the_model_on_this_computer(app_home):
    r = run_cli("bench", "--json", home=app_home)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["model"] == "SmolLM2-135M-Instruct.Q4_1" and report["device"] == "CPU"
    assert report["load_s"] > 0 and report["prompt_tokens"] > 300 and report["decode_tokens"] > 0
    assert report["prompt_tokens_per_s"] > 0 and report["decode_tokens_per_s"] > 0 and report["first_token_s"] > 0
    table = run_cli("bench", home=app_home).stdout
    assert "Prompt reading" in table and "tokens/s" in table
