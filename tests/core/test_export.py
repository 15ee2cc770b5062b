"""Export to every format, and import ours and other apps' files."""

import json
import os
import zipfile
from pathlib import Path

import docx
import pytest

from desktop_llm.core.errors import UserError
from desktop_llm.core.markdown import COPY_LINK
from desktop_llm.core.markdown import render as render_markdown
from desktop_llm.core.store import History
from desktop_llm.core.store.export import FORMATS, export_conversation, render
from desktop_llm.core.store.importers import ImportProblem, import_file
from tests.conftest import run_cli

DATA = Path(__file__).parents[1] / "data"
CODE_REPLY = "Here you go:\n\n```python\nprint('tea <time>')\n```\n\nEnjoy **it**."


@pytest.fixture
def history(tmp_path):
    h = History(tmp_path / "h.db")
    yield h
    h.close()


def sample(history) -> int:
    cid = history.create_conversation(system_prompt="You are kind.", temperature=0.3,
                                      first_message="Write code to print tea time")
    user = history.messages(cid)[0]
    history.add_message(cid, "assistant", "An older attempt", model="m")
    reply = history.add_message(cid, "assistant", CODE_REPLY, model="m", parent_id=user.id)
    history.update_message(reply, CODE_REPLY, "done", {"completion_tokens": 20, "tokens_per_second": 88.5},
                           finish_reason="stop")
    history.add_message(cid, "user", "Thanks & bye <3")
    history.update_conversation(cid, pinned=True)
    return cid


def test_markdown_highlights_code_and_numbers_copy_links():
    rendered = render_markdown(CODE_REPLY, copy_links=True)
    assert rendered.code_blocks == ["print('tea <time>')\n"]
    assert f'href="{COPY_LINK}0"' in rendered.html
    assert "<strong>it</strong>" in rendered.html
    assert "style=" in rendered.html and "&lt;time&gt;" in rendered.html  # highlighted and escaped
    assert "<script>" not in render_markdown("<script>alert(1)</script>").html


def test_json_round_trip_is_identical(history, tmp_path):
    cid = sample(history)
    first = render(history, cid, "json")
    path = tmp_path / "c.json"
    path.write_bytes(first)
    again = import_file(history, path)
    assert again != cid
    assert render(history, again, "json") == first
    data = json.loads(first)
    assert len(data["messages"]) == 4 and data["conversation"]["pinned"] is True
    assert [m.content for m in history.messages(again)] == [m.content for m in history.messages(cid)]
    assert history.alternatives(again) != {}


def test_readable_formats_show_the_branch_on_screen(history, tmp_path):
    cid = sample(history)
    md = render(history, cid, "md").decode()
    assert md.startswith("# Write code to print tea time") and "```python" in md
    assert "An older attempt" not in md and "## You" in md and "You are kind." in md
    txt = render(history, cid, "txt").decode()
    assert "Assistant:\nHere you go:" in txt
    page = render(history, cid, "html").decode()
    assert page.startswith("<!DOCTYPE html>") and "Thanks &amp; bye &lt;3" in page
    assert "<pre" in page
    out = export_conversation(history, cid, "docx", tmp_path / "c.docx")
    assert zipfile.is_zipfile(out)
    texts = [p.text for p in docx.Document(out).paragraphs]
    assert "Write code to print tea time" in texts
    assert "print('tea <time>')" in texts and "Enjoy it." in texts
    assert not any(t.startswith("```") for t in texts)
    enjoy = next(p for p in docx.Document(out).paragraphs if p.text == "Enjoy it.")
    assert [r.text for r in enjoy.runs if r.bold] == ["it"]  # Markdown marks become Word formatting


def test_export_to_a_missing_or_read_only_folder_is_explained(history, tmp_path):
    cid = sample(history)
    with pytest.raises(UserError, match="does not exist"):
        export_conversation(history, cid, "md", tmp_path / "nope" / "c.md")
    (tmp_path / "taken.md").mkdir()
    with pytest.raises(UserError, match="Cannot write"):
        export_conversation(history, cid, "md", tmp_path / "taken.md")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(UserError, match="permission denied"):
            export_conversation(history, cid, "md", locked / "c.md")
    finally:
        locked.chmod(0o700)
    with pytest.raises(UserError, match="Unknown export format"):
        render(history, cid, "pdf")


def test_imports_lm_studio_with_versions_as_alternatives(history):
    cid = import_file(history, DATA / "lmstudio.conversation.json")
    c = history.get_conversation(cid)
    assert (c.title, c.system_prompt, c.model) == ("Product names", "You name products.", "qwen2.5-7b-instruct")
    thread = history.messages(cid)
    assert [m.content for m in thread] == ["Name a tea brand.", "Steep Street", "Shorter, please."]
    assert len(history.alternatives(cid)[thread[1].id]) == 2
    assert c.created_at.startswith("2025-10-09")


def test_imports_a_jan_thread(history):
    for file in ("messages.jsonl", "thread.json"):
        cid = import_file(history, DATA / "jan_thread" / file)
        c = history.get_conversation(cid)
        assert (c.title, c.system_prompt) == ("Lesson plan", "You help teachers.")
        assert [(m.role, m.content) for m in history.messages(cid)] == [
            ("user", "Plan a lesson on fractions."), ("assistant", "1. Start with pizza slices.")]


def test_imports_role_content_json(history, tmp_path):
    path = tmp_path / "openai.json"
    path.write_text(json.dumps({"messages": [
        {"role": "system", "content": "Be short."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]}]}))
    cid = import_file(history, path)
    assert history.get_conversation(cid).system_prompt == "Be short."
    assert [m.content for m in history.messages(cid)] == ["Hi", "Hello!"]


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a conversation format"),
    ('{"hello": 1}', "not a conversation format"),
    ('{"format": "desktop-llm-conversation", "version": 1, "conversation": {}, "messages": '
     '[{"id": 1, "parent": null, "role": "user", "content": "ok"},'
     ' {"id": 2, "parent": 1, "role": "wizard", "content": "x"}]}', "message 2 has role"),
    ('{"format": "desktop-llm-conversation", "version": 1, "conversation": {}, "messages": '
     '[{"id": 1, "parent": 7, "role": "user", "content": "ok"}]}', "parent"),
    ('{"format": "desktop-llm-conversation", "version": 99, "conversation": {}, "messages": []}', "newer"),
    ('{"messages": [{"role": "user", "content": "ok"}, {"role": "user"}]}', "no text content"),
])
def test_malformed_imports_explain_and_store_nothing(history, tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ImportProblem, match=problem):
        import_file(history, path)
    assert history.list_conversations() == []


def test_cli_history_commands(app_home, tmp_path):
    h = History(app_home / "data" / "history.db")
    cid = sample(h)
    h.close()
    r = run_cli("history", "search", 'tea "time', "--json", home=app_home)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert hits and {"conversation_id", "message_id", "snippet"} <= set(hits[0])
    assert hits[0]["conversation_id"] == cid and "[tea]" in hits[0]["snippet"]
    assert run_cli("history", "search", "AND (", home=app_home).returncode == 0
    for fmt in FORMATS:
        out = tmp_path / f"c.{fmt}"
        r = run_cli("history", "export", str(cid), "--format", fmt, "-o", str(out), home=app_home)
        assert r.returncode == 0, r.stderr
        assert out.stat().st_size > 0
    r = run_cli("history", "export", str(cid), "--format", "md", home=app_home)
    assert r.stdout.startswith("# Write code")
    r = run_cli("history", "export", str(cid), "-o", str(tmp_path / "no" / "x.md"), home=app_home)
    assert r.returncode == 1 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("history", "import", str(tmp_path / "c.json"), "--json", home=app_home)
    assert r.returncode == 0, r.stderr
    new_id = json.loads(r.stdout)["id"]
    r = run_cli("history", "rename", str(new_id), "Imported copy", home=app_home)
    assert r.returncode == 0
    r = run_cli("history", "list", "--json", home=app_home)
    titles = {c["id"]: c["title"] for c in json.loads(r.stdout)}
    assert titles[new_id] == "Imported copy"
    assert run_cli("history", "delete", str(new_id), home=app_home).returncode == 0
    r = run_cli("history", "delete", str(new_id), home=app_home)
    assert r.returncode == 1 and "No conversation" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    r = run_cli("history", "import", str(bad), home=app_home)
    assert r.returncode == 1 and "not valid JSON" in r.stderr


def test_a_word_export_keeps_the_replies_formatting(history, tmp_path):
    """The history's .docx goes through the documents' writer: headings, lists, bold,
    links and tables of a reply become Word's own, not Markdown marks."""
    cid = history.create_conversation(first_message="Plan a tea tasting")
    history.add_message(cid, "assistant", "## Plan\n\n- **Green** tea\n- [Oolong](https://tea.example/oolong)\n\n"
                                          "1. Boil\n2. Pour\n\n| Tea | Minutes |\n|---|---|\n| Green | 2 |\n")
    out = export_conversation(history, cid, "docx", tmp_path / "plan.docx")
    document = docx.Document(out)
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 2", "Plan") in styles
    assert ("List Bullet", "Green tea") in styles and ("List Number", "Boil") in styles
    green = next(p for p in document.paragraphs if p.text == "Green tea")
    assert [r.text for r in green.runs if r.bold] == ["Green"]
    assert not any("**" in text or "](" in text for _, text in styles)
    links = [rel.target_ref for rel in document.part.rels.values() if rel.is_external]
    assert links == ["https://tea.example/oolong"]
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [["Tea", "Minutes"], ["Green", "2"]]
