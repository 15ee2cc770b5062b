"""Libraries with real parts: documents in several formats (written with python-docx
and as Markdown, HTML and text), the real default embedder, real SQLite FTS5, the
CLI as a user runs it. The texts are written for the test: distinct topics, near
duplicates that must not win, and questions that share no words with their answer."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.writers import save_document
from desktop_llm.core.errors import UserError
from desktop_llm.core.library.libraries import Libraries
from tests.conftest import run_cli

DOCS = {
    "refunds.md": """# Returns and refunds

## Refund window

Customers may return any unused item within 30 days of delivery for a full refund to the original card.

## Damaged parcels

If a parcel arrives broken, send a photo of the damage within 48 hours and a replacement ships at no cost.
""",
    "shipping.txt": """Orders leave the warehouse in Leeds every weekday before noon.

Express delivery reaches most addresses in the United Kingdom the next working day; islands take two days.
""",
    "warranty.html": """<html><body><h1>Warranty</h1>
<p>Every kettle and toaster carries a two-year warranty against faults in manufacture.</p>
<p>The warranty does not cover limescale: descale the kettle every month in hard-water areas.</p>
</body></html>""",
    "old-refunds.md": """# Archive: returns in 2019

In 2019 returns were accepted for 14 days only, and refunds took two weeks to reach the card.
""",
}
QUESTIONS = [  # (question, the file that answers it, shares words with it?)
    ("How many days do I have to return an unused item?", "refunds.md", True),
    ("My package came smashed, what should I do?", "refunds.md", False),
    ("When do orders leave the warehouse?", "shipping.txt", True),
    ("How long is the guarantee on a toaster?", "warranty.html", False),
    ("Does the warranty cover limescale in the kettle?", "warranty.html", True),
    ("Is the Scottish island delivery slower?", "shipping.txt", False),
]


@pytest.fixture
def folder(tmp_path) -> Path:
    docs = tmp_path / "policies"
    (docs / "archive").mkdir(parents=True)
    for name, text in DOCS.items():
        target = docs / ("archive" if name.startswith("old") else "") / name
        target.write_text(text, encoding="utf-8")
    care = Document([Block("heading", (Span("Product care"),), level=1),
                     Block("paragraph", (Span("Wipe the toaster crumb tray weekly and unplug it before cleaning."),)),
                     Block("list_item", (Span("Never immerse the kettle base in water."),), level=1)])
    save_document(care, docs / "care.docx")  # written with python-docx
    (docs / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    (docs / ".hidden.md").write_text("# Hidden\n\nnever indexed", encoding="utf-8")
    return docs


@pytest.fixture
def libraries(tmp_path):
    libs = Libraries(tmp_path / "library.db")
    yield libs
    libs.close()


def rank_of(hits, name: str) -> int | None:
    return next((i for i, h in enumerate(hits) if Path(h.file).name == name), None)


def test_a_folder_is_indexed_and_questions_find_their_passages(libraries, folder):
    report = libraries.add("policies", [folder])
    assert report.read == 5 and report.files == 5 and report.chunks >= 6
    assert [(Path(p).name, "damaged or not a PDF" in r) for p, r in report.skipped] == [("scan.pdf", True)]
    hits = libraries.search("policies", "How many days do I have to return an unused item?", top=3)
    assert Path(hits[0].file).name == "refunds.md" and hits[0].heading == "Returns and refunds › Refund window"
    assert "30 days" in hits[0].text and hits[0].score > 0
    care = libraries.search("policies", "cleaning the crumb tray", top=1)[0]
    assert Path(care.file).name == "care.docx" and care.heading == "Product care"
    recall = {}
    for method in ("keyword", "vector", "hybrid"):
        found = [rank_of(libraries.search("policies", q, top=3, method=method), f) for q, f, _ in QUESTIONS]
        recall[method] = sum(r is not None for r in found)
    assert recall["hybrid"] == len(QUESTIONS), recall  # every answer in the top 3
    assert recall["hybrid"] >= max(recall["keyword"], recall["vector"])
    # a question with none of its answer's words is found by meaning
    no_words = [q for q, f, shared in QUESTIONS if not shared]
    assert all(rank_of(libraries.search("policies", q, top=3, method="vector"), f) is not None
               for q, f, _ in QUESTIONS if q in no_words)


def test_indexing_again_reads_only_what_changed_and_drops_what_is_gone(libraries, folder):
    libraries.add("policies", [folder])
    again = libraries.index("policies")
    assert again.read == 0 and again.unchanged == 6 and again.dropped == 0
    (folder / "shipping.txt").write_text("Orders now leave the warehouse in York at nine.", encoding="utf-8")
    (folder / "archive" / "old-refunds.md").unlink()
    changed = libraries.index("policies")
    assert changed.read == 1 and changed.dropped == 1
    hit = libraries.search("policies", "Which city do orders leave from?", top=1)[0]
    assert "York" in hit.text and "Leeds" not in hit.text
    assert all(Path(h.file).name != "old-refunds.md" for h in libraries.search("policies", "2019 returns", top=5))
    info = libraries.info("policies")
    assert info.files == 4 and [Path(p).name for p, _ in info.problems] == ["scan.pdf"]


def test_stopped_indexing_keeps_what_is_done_and_goes_on_without_duplicates(libraries, folder):
    cancel = threading.Event()

    def progress(done: int, total: int, label: str) -> None:
        if done >= 2:
            cancel.set()  # Pause: after the file in hand

    stopped = libraries.add("policies", [folder], progress, cancel)
    assert stopped.stopped and 0 < stopped.read < 5
    resumed = libraries.index("policies")
    assert not resumed.stopped and resumed.read == 5 - stopped.read
    full = Libraries(folder.parent / "fresh.db")
    try:
        expected = full.add("fresh", [folder]).chunks
    finally:
        full.close()
    assert libraries.info("policies").chunks == expected  # nothing twice, nothing lost


def test_library_commands(app_home, folder):
    run = run_cli("library", "add", "shop", str(folder), "--json", home=app_home)
    assert run.returncode == 0, run.stderr
    added = json.loads(run.stdout)
    assert added["library"] == "shop" and added["files"] == 5 and added["chunks"] >= 6
    assert [Path(s["path"]).name for s in added["skipped"]] == ["scan.pdf"]
    run = run_cli("library", "search", "shop", "two-year warranty on kettles", "--top", "2", "--json", home=app_home)
    hits = json.loads(run.stdout)
    assert len(hits) == 2 and set(hits[0]) == {"file", "page", "heading", "text", "score"}
    assert Path(hits[0]["file"]).name == "warranty.html"
    listed = json.loads(run_cli("library", "list", "--json", home=app_home).stdout)
    assert [lib["library"] for lib in listed] == ["shop"]
    switched = run_cli("library", "embedder", "shop", "SmolLM2-135M-Instruct.Q4_1", "--json", home=app_home)
    assert switched.returncode == 0, switched.stderr
    assert json.loads(switched.stdout)["embedder"] == "gguf:SmolLM2-135M-Instruct.Q4_1"
    run = run_cli("library", "search", "shop", "two-year warranty on kettles", "--json", home=app_home)
    assert run.returncode == 0 and json.loads(run.stdout)
    assert run_cli("library", "remove", "shop", home=app_home).returncode == 0
    missing = run_cli("library", "search", "shop", "anything", home=app_home)
    assert missing.returncode == 1 and "no library" in missing.stderr
    bad = run_cli("library", "add", "shop", str(folder / "nope"), home=app_home)
    assert bad.returncode == 1 and "No file or folder" in bad.stderr


def test_a_grounded_reply_is_stored_with_the_passages_it_drew_on(app_home, folder):
    from desktop_llm.core.store import History

    assert run_cli("library", "add", "shop", str(folder), home=app_home).returncode == 0
    question = "How many days do I have to return an unused item?"
    run = run_cli("chat", "--library", "shop", question, "--json", home=app_home, timeout=300)
    assert run.returncode == 0, run.stderr
    grounded = json.loads(run.stdout)
    sources = grounded["sources"]
    assert [s["n"] for s in sources] == list(range(1, len(sources) + 1)) and len(sources) <= 5
    assert Path(sources[0]["file"]).name == "refunds.md" and "30 days" in sources[0]["text"]
    plain = json.loads(run_cli("chat", question, "--json", home=app_home, timeout=300).stdout)
    assert "sources" not in plain and grounded["prompt_tokens"] > plain["prompt_tokens"] + 50  # the passages
    history = History(app_home / "data" / "history.db")
    try:
        reply = history.get_message(grounded["message_id"])
        assert json.loads(reply.sources) == sources and reply.content == grounded["text"]
    finally:
        history.close()
    text = run_cli("chat", "--library", "shop", question, home=app_home, timeout=300).stdout
    assert "[1] refunds.md, Returns and refunds › Refund window" in text  # listed under the reply


def test_citations_of_passages_that_do_not_exist_are_removed():
    from desktop_llm.core.library.grounding import Source, checked_citations

    sources = [Source(1, "a.md", None, "", "x"), Source(2, "b.md", 3, "H", "y")]
    assert checked_citations("Yes [1], and [3] says so [2].", sources) == "Yes [1], and  says so [2]."
    assert sources[1].label() == "b.md, page 3, H"


def test_a_request_for_a_whole_files_summary_is_told_from_a_question():
    from desktop_llm.core.library.grounding import whole_document_asked

    files = ["/docs/refunds.md", "/docs/shipping_rates.txt", "/docs/warranty.html"]
    assert whole_document_asked("Summarize this document", ["/docs/refunds.md"]).path == "/docs/refunds.md"
    assert whole_document_asked("Summarize this document", files) is None  # which one? the search decides
    assert whole_document_asked("Give me a summary of the shipping rates file", files).path == files[1]
    assert whole_document_asked("Summarise warranty.html in one paragraph", files).style == "paragraph"
    assert whole_document_asked("TL;DR of refunds please", files).style == "tldr"
    assert whole_document_asked("How long is the refund window?", ["/docs/refunds.md"]) is None


def test_summarize_on_a_library_file_goes_to_the_summarizer_with_the_whole_file(app_home, folder):
    assert run_cli("library", "add", "shop", str(folder), home=app_home).returncode == 0
    run = run_cli("chat", "--library", "shop", "Summarize the warranty document", "--json", home=app_home,
                  timeout=300)
    assert run.returncode == 0, run.stderr
    reply = json.loads(run.stdout)
    (source,) = reply["sources"]  # the file itself, not the passages a search finds
    assert Path(source["file"]).name == "warranty.html" and source["text"].startswith("The whole document")
    assert reply["text"].strip() and reply["finish_reason"] in ("stop", "length")


def test_a_passage_is_shown_where_it_stands_in_its_file(libraries, folder):
    from desktop_llm.core.library.passages import in_context

    libraries.add("shop", [folder])
    (hit,) = [h for h in libraries.search("shop", "never immerse the kettle base", top=5)
              if Path(h.file).name == "care.docx"]
    shown = in_context(hit.file, hit.text)
    assert shown.found and "Never immerse the kettle base in water." in shown.passage
    assert "Wipe the toaster" in shown.before + shown.passage
    (refund,) = [h for h in libraries.search("shop", "unused item 30 days", top=5) if h.heading.endswith("window")]
    shown = in_context(refund.file, refund.text)
    assert shown.found and "Returns and refunds" in shown.before and "Damaged parcels" in shown.after
    Path(refund.file).write_text("# Returns\n\nAll new text.", encoding="utf-8")
    assert not in_context(refund.file, refund.text).found  # changed since: shown as it was
    Path(refund.file).unlink()
    with pytest.raises(UserError, match="no longer in"):
        in_context(refund.file, refund.text)


def test_killed_while_indexing_then_indexed_again_nothing_twice_nothing_lost(app_home, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from desktop_llm.core.paths import HOME_ENV

    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(300):
        (notes / f"note-{i:03d}.md").write_text(f"# Note {i}\n\nThe hedge on row {i} was trimmed in spring.",
                                                encoding="utf-8")
    env = dict(os.environ, **{HOME_ENV: str(app_home)})
    proc = subprocess.Popen([sys.executable, "-m", "desktop_llm", "library", "add", "notes", str(notes),
                             "--progress", "lines"], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("Indexing note-050"):
            break
    proc.send_signal(signal.SIGKILL)  # no cleanup of any kind
    proc.wait(10)
    libraries = Libraries(app_home / "data" / "library.db")
    try:
        partial = libraries.info("notes")
        assert 0 < partial.files < 300
        again = libraries.index("notes")
        assert again.read == 300 - partial.files and libraries.info("notes").files == 300
        assert libraries.info("notes").chunks == 300  # one passage per note: nothing twice
    finally:
        libraries.close()


def test_a_draft_written_from_a_library_carries_its_sources(app_home, folder):
    from tests.conftest import set_settings

    set_settings(app_home, max_tokens=60)
    assert run_cli("library", "add", "shop", str(folder), home=app_home).returncode == 0
    run = run_cli("draft", "customer-reply", "--field", "message=Can I return a kettle I bought last week?",
                  "--library", "shop", "--json", home=app_home, timeout=300)
    assert run.returncode == 0, run.stderr
    draft = json.loads(run.stdout)
    assert draft["variants"][0].strip() and "refunds.md" in {Path(s["file"]).name for s in draft["sources"]}
    missing = run_cli("draft", "customer-reply", "--field", "message=Hello", "--library", "nope", home=app_home)
    assert missing.returncode == 1 and "no library" in missing.stderr


def test_the_starter_gguf_as_the_embedder(tmp_path, folder, starter):
    from desktop_llm.core.errors import NotFound

    def model_path(name: str) -> Path:  # as the model registry finds an installed model
        if name == starter.name:
            return starter.path
        (tmp_path / "broken.gguf").write_bytes(b"GGUF" + bytes(60))
        if name == "broken":
            return tmp_path / "broken.gguf"
        raise NotFound(f"No model named {name} is installed.")

    libraries = Libraries(tmp_path / "gguf.db", model_path)
    try:
        report = libraries.add("policies", [folder], embedder=starter.name)
        assert report.read == 5 and libraries.info("policies").embedder == f"gguf:{starter.name}"
        ids, matrix = libraries.store.vectors(libraries.store.library_id("policies"))
        assert matrix.shape == (report.chunks, 576)  # the model's own width, not the built-in 256
        assert abs(float((matrix ** 2).sum(axis=1).mean()) - 1) < 1e-4  # unit length
        hits = libraries.search("policies", "When do orders leave the warehouse?", top=3)
        assert len(hits) == 3 and "shipping.txt" in {Path(h.file).name for h in hits}
        with pytest.raises(NotFound, match="No model named nope"):
            libraries.add("other", [folder], embedder="nope")
        with pytest.raises(UserError, match="broken.gguf cannot be loaded to embed passages"):
            libraries.add("other", [folder], embedder="broken")
        assert libraries.names() == ["policies"]  # neither was made
    finally:
        libraries.close()


def test_a_new_embedder_re_embeds_with_progress_and_a_stop_loses_nothing(tmp_path, folder, starter, monkeypatch):
    import desktop_llm.core.library.libraries as module

    monkeypatch.setattr(module, "REEMBED_BATCH", 2)
    libraries = Libraries(tmp_path / "switch.db", lambda name: starter.path)
    try:
        chunks = libraries.add("policies", [folder]).chunks
        library_id = libraries.store.library_id("policies")
        cancel, seen = threading.Event(), []

        def progress(done: int, total: int, label: str) -> None:
            seen.append((done, total))
            if len(seen) == 2:
                cancel.set()  # Stop after the first batch

        assert libraries.change_embedder("policies", starter.name, progress, cancel) is False
        assert seen == [(0, chunks), (2, chunks)]
        assert libraries.info("policies").embedder == "wordllama-256"  # still searching the old way
        assert libraries.store.vectors(library_id)[1].shape == (chunks, 256)
        assert libraries.search("policies", "two-year warranty", top=1)
        seen.clear()
        assert libraries.change_embedder("policies", starter.name, progress) is True
        assert seen[0] == (2, chunks) and seen[-1] == (chunks, chunks)  # carried on where it stopped
        assert libraries.info("policies").embedder == f"gguf:{starter.name}"
        assert libraries.store.vectors(library_id)[1].shape == (chunks, 576)
        with libraries.store.db.locked():
            assert libraries.store.db.execute("SELECT COUNT(*) FROM pending_vectors").fetchone()[0] == 0
        assert libraries.index("policies").read == 0  # the files themselves were not read again
        assert libraries.change_embedder("policies", None) is True  # back to the built-in one
        assert libraries.store.vectors(library_id)[1].shape == (chunks, 256)
    finally:
        libraries.close()


def test_the_watcher_brings_changed_libraries_up_to_date_and_leaves_paused_ones(libraries, folder):
    import time

    from desktop_llm.core.library.watch import LibraryWatcher, changed

    libraries.add("policies", [folder])
    seen: list = []
    watcher = LibraryWatcher(libraries, 0.2, lambda name, report: seen.append((name, report.read, report.dropped)))
    assert not changed(libraries, "policies") and watcher.check() == []  # nothing new: nothing read
    (folder / "gift-cards.md").write_text("# Gift cards\n\nGift cards never expire.", encoding="utf-8")
    (folder / "shipping.txt").unlink()
    assert changed(libraries, "policies")
    watcher.start()
    try:
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.stop()
    assert seen == [("policies", 1, 1)]
    assert Path(libraries.search("policies", "Do gift cards expire?", top=1)[0].file).name == "gift-cards.md"
    libraries.paused.add("policies")  # the user paused it: left alone until they index it
    (folder / "more.md").write_text("# More\n\nMore text.", encoding="utf-8")
    assert watcher.check() == [] and changed(libraries, "policies")


@pytest.mark.parametrize("embedder", ["built-in", "starter"])
def test_both_vector_paths_rank_alike(tmp_path, folder, starter, embedder):
    """In memory with numpy, and in SQLite with sqlite-vec (through Python's sqlite3 where it loads
    extensions, else the sqlean.py build the dev set installs)."""
    libraries = Libraries(tmp_path / "paths.db", lambda name: starter.path)
    try:
        libraries.add("policies", [folder], embedder=None if embedder == "built-in" else starter.name)
        store = libraries.store
        assert store.vector_sql.available, "sqlite-vec does not load here"
        assert not store.searches_vectors_in_sql(store.library_id("policies"))  # small: kept in memory
        rankings = {}
        for path in ("memory", "sqlite-vec"):
            store.vector_search = path
            rankings[path] = [[(Path(h.file).name, h.text) for h in libraries.search("policies", q, 5, "vector")]
                              for q, _, _ in QUESTIONS]
        assert rankings["memory"] == rankings["sqlite-vec"] and all(len(r) == 5 for r in rankings["memory"])
    finally:
        libraries.close()


def test_a_full_disk_stops_indexing_with_a_clear_message_and_the_index_still_opens(tmp_path, folder):
    """SQLite's own "database or disk is full", made real by capping the file's pages where it stands."""
    db = tmp_path / "full.db"
    libraries = Libraries(db)
    try:
        libraries.add("policies", [folder / "refunds.md"])
        connection = libraries.store.db.connection
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")
        for i in range(30):  # more than the few pages left can hold
            (folder / f"more-{i}.md").write_text(f"# More {i}\n\n" + "A new paragraph of policy text. " * 200,
                                                 encoding="utf-8")
        libraries.store.add_sources(libraries.store.library_id("policies"), [folder])
        with pytest.raises(UserError, match=r"The disk is full, so the library index .* could not be saved\. Free"):
            libraries.index("policies")
    finally:
        libraries.close()
    reopened = Libraries(db)
    try:  # what was committed before is all there, and searchable
        assert reopened.info("policies").files >= 1
        assert Path(reopened.search("policies", "refund window", top=1)[0].file).name == "refunds.md"
        assert reopened.index("policies").files == 5 + 30  # with room again, indexing goes on
    finally:
        reopened.close()
