"""The Library page with real widgets, the real embedder and a real index: a
library made, a folder dropped on it and indexed (the unreadable file listed
with its reason), searched, paused mid-way and brought up to date."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_llm.gui.chat.source_view import SourceDialog
from tests.core.test_library import DOCS
from tests.gui.helpers import WAIT_MS, loaded, send_and_wait
from tests.gui.test_documents import drop

LONG_WAIT = 120_000


def make_folder(root: Path) -> Path:
    folder = root / "policies"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    return folder


def idle(library) -> bool:
    return library.cancel is None


def test_a_folder_dropped_on_a_library_is_indexed_listed_and_searched(qtbot, make_window, tmp_path):
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    library = window.tools.library
    assert library is not None and library.isVisible() and "No library yet" in library.summary.text()
    assert not library.add_folder_button.isEnabled()
    library.new_library("Policies")
    assert library.current() == "Policies" and library.add_folder_button.isEnabled()

    drop(library, make_folder(tmp_path))
    assert library.pause_button.isEnabled() and not library.new_button.isEnabled()
    qtbot.waitUntil(lambda: idle(library), timeout=LONG_WAIT)
    assert "4 files" in library.summary.text() and "Policies is up to date" in library.message.plain
    assert library.problems.count() == 1 and library.problems.item(0).text().startswith("scan.pdf ")
    assert "4 files" in library.libraries.item(0).text()

    library.query.setText("How many days do I have to return an unused item?")
    qtbot.keyClick(library.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(library.results), timeout=WAIT_MS)
    assert Path(library.results[0].file).name == "refunds.md"
    assert "[1]" in library.found.toPlainText() and "30 days" in library.found.toPlainText()


def test_indexing_pauses_and_goes_on_where_it_stopped(qtbot, make_window, tmp_path):
    window = make_window()
    library = window.tools.open_library()
    library.new_library("Notes")
    many = tmp_path / "notes"
    many.mkdir()
    for i in range(400):
        (many / f"note-{i:03d}.txt").write_text(f"Note {i}: the orchard rows were pruned on day {i}.", encoding="utf-8")
    library.add_paths([many])
    qtbot.waitUntil(lambda: library.progress.maximum() > 1, timeout=WAIT_MS)  # files are being read
    library.pause_button.click()
    qtbot.waitUntil(lambda: idle(library), timeout=LONG_WAIT)
    assert "Paused" in library.message.plain
    read_before = window.core.libraries.info("Notes").files
    assert 0 < read_before < 400
    library.index_button.click()
    qtbot.waitUntil(lambda: idle(library), timeout=LONG_WAIT)
    assert window.core.libraries.info("Notes").files == 400 and "up to date" in library.message.plain


def test_a_conversation_answers_from_the_chosen_library_with_sources_under_the_reply(qtbot, make_window,
                                                                                     tmp_path):
    window = loaded(qtbot, make_window())
    window.core.libraries.add("Policies", [make_folder(tmp_path)])
    choice = window.library_choice
    assert choice.text() == "No library"
    choice.menu().aboutToShow.emit()  # the menu is filled as it opens
    (policies,) = [a for a in choice.menu().actions() if a.text() == "Policies"]
    policies.trigger()
    assert choice.chosen == ["Policies"] and choice.text() == "From: Policies"

    send_and_wait(qtbot, window, "How many days do I have to return an unused item?")
    conversation = window.core.history.get_conversation(window.conversation_id)
    assert conversation.library_names == ["Policies"]  # saved with the conversation
    reply = window.core.history.messages(window.conversation_id)[-1]
    assert reply.role == "assistant" and "refunds.md" in reply.sources
    bubble = window.chat_view.bubble_for(reply.id)
    assert bubble.sources is not None and "refunds.md" in bubble.sources.text()
    bubble.sources.linkActivated.emit("source:0")  # as a click on the first source does
    dialog = next(w for w in bubble.sources.window().findChildren(SourceDialog))
    qtbot.waitUntil(lambda: "highlighted" in dialog.note.text(), timeout=WAIT_MS)
    shown = dialog.text.toPlainText()
    assert "refunds.md" in dialog.windowTitle() and "30 days of delivery" in shown
    assert shown.index("Returns and refunds") < shown.index("30 days") < shown.index("Damaged parcels")  # in context
    dialog.close()

    window.new_chat()
    assert choice.text() == "No library"
    window.open_conversation(conversation.id)
    assert choice.text() == "From: Policies"



def test_the_model_that_finds_passages_is_chosen_on_the_page(qtbot, make_window, tmp_path, starter, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = make_window()
    library = window.tools.open_library()
    window.core.libraries.add("Policies", [make_folder(tmp_path)])
    library.refresh(select="Policies")
    box = library.embedder
    assert box.currentData() == "wordllama-256" and box.isEnabled()
    at = box.findData(f"gguf:{starter.name}")
    assert at > 0 and "(chat model)" in box.itemText(at)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    box.setCurrentIndex(at)
    box.activated.emit(at)  # as when the user picks it
    assert asked and "Embed the" in asked[0] and not box.isEnabled()
    qtbot.waitUntil(lambda: idle(library), timeout=LONG_WAIT)
    assert window.core.libraries.info("Policies").embedder == f"gguf:{starter.name}"
    assert box.currentData() == f"gguf:{starter.name}" and "now finds passages with" in library.message.plain
    library.query.setText("When do orders leave the warehouse?")
    qtbot.keyClick(library.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(library.results), timeout=WAIT_MS)


def test_while_the_window_is_open_changed_files_are_indexed(qtbot, make_window, tmp_path, app_home):
    from tests.conftest import set_settings

    set_settings(app_home, library_watch_s=1)
    folder = make_folder(tmp_path)
    window = make_window()
    window.core.libraries.add("Policies", [folder])
    library = window.tools.open_library()
    assert "4 files" in library.summary.text()
    (folder / "gift-cards.md").write_text("# Gift cards\n\nGift cards never expire.", encoding="utf-8")
    qtbot.waitUntil(lambda: "Library Policies is up to date" in window.statusBar().currentMessage(),
                    timeout=LONG_WAIT)
    assert "1 read" in window.statusBar().currentMessage() and "5 files" in library.summary.text()


def test_a_file_dropped_into_the_conversation_is_what_it_answers_from(qtbot, make_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    def drop_on_chat(window, path):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        where = QPointF(window.chat_column.mapTo(window, QPoint(60, 60)))
        window.dropEvent(QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                    Qt.KeyboardModifier.NoModifier))

    window = loaded(qtbot, make_window())
    folder = make_folder(tmp_path)
    drop_on_chat(window, folder / "refunds.md")
    qtbot.waitUntil(lambda: "now answers from refunds.md" in window.statusBar().currentMessage(), timeout=LONG_WAIT)
    assert window.library_choice.chosen == ["File: refunds.md"] and window.library_choice.text() == \
        "From: File: refunds.md"
    assert window.core.libraries.info("File: refunds.md").chunks >= 2
    assert window.tools.documents is None  # not opened in Documents: it went into the conversation
    drop_on_chat(window, folder / "scan.pdf")  # a file that cannot be read says so, and is not ticked
    qtbot.waitUntil(lambda: "scan.pdf could not be read" in window.statusBar().currentMessage(), timeout=LONG_WAIT)
    assert window.library_choice.chosen == ["File: refunds.md"]
    assert "File: scan.pdf" not in window.core.libraries.names()  # no empty library left behind

    send_and_wait(qtbot, window, "Summarize this document")  # the whole file, by the summarizer
    reply = window.core.history.messages(window.conversation_id)[-1]
    assert reply.status == "done" and reply.content.strip()
    (source,) = json.loads(reply.sources)
    assert Path(source["file"]).name == "refunds.md" and source["text"].startswith("The whole document")
