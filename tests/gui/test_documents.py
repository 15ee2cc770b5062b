"""The Documents page with real widgets and the real starter model: a dropped
report summarized part by part into a streaming view (copy, save, continue as
chat); a chapter translated with its blocks arriving in the side-by-side
review, a block edited and translated again, saved; cancel and resume;
bad files refused with the window alive; unsaved edits asked about."""

from dataclasses import replace

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from desktop_llm.core.documents.readers import read_document
from desktop_llm.core.documents.writers import render
from tests.core.test_documents import CHAPTER, long_report, shape
from tests.gui.helpers import WAIT_MS, answer_message_box, loaded

LONG_WAIT = 4 * WAIT_MS


def drop(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))


def opened(qtbot, window, path):
    documents = window.tools.open_documents(path)
    qtbot.waitUntil(lambda: documents.doc is not None and documents.path == path, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is documents)  # keys go to the Documents page
    return documents


def idle(documents):
    return documents.job is None


def test_a_dropped_report_is_summarized_part_by_part_and_continues_as_a_chat(qtbot, make_window, tmp_path):
    window = loaded(qtbot, make_window())
    report = tmp_path / "report.md"
    report.write_text(long_report(20), encoding="utf-8")
    drop(window, report)  # dropped on the main window: the Documents page opens with it
    documents = window.tools.documents
    qtbot.waitUntil(lambda: documents.doc is not None, timeout=WAIT_MS)
    assert "report.md" in documents.file_label.text() and "20 blocks" in documents.file_label.text()
    panel = documents.summary_panel
    panel.summary_style.setCurrentIndex(panel.summary_style.findData("tldr"))
    panel.length.setCurrentIndex(panel.length.findData("short"))
    totals, labels = [], []
    documents.summary_bridge.progress.connect(lambda done, total, label: (totals.append(total), labels.append(label)))
    streamed = []
    documents.summary_bridge.token.connect(streamed.append)
    qtbot.keyClick(documents, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert documents.job is not None and documents.progress.isVisible() and documents.cancel_button.isVisible()
    assert not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    assert documents.summary is not None, documents.message.plain
    assert any(label.startswith("Summarizing part 2 of") for label in labels) and max(totals) >= 2
    assert streamed and panel.result.toPlainText().strip() == documents.summary.text.strip()
    assert f"in {documents.summary.chunks} parts" in documents.message.plain
    assert not documents.progress.isVisible() and panel.copy_button.isEnabled()

    qtbot.keyClick(documents, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.clipboard().text() == documents.summary_result.text()
    saved = tmp_path / "report.summary.md"
    assert documents.summary_result.save_to(saved) and saved.read_text().strip() == documents.summary_result.text()
    assert not documents.summary_result.save_to(report) and "document itself" in documents.message.plain

    panel.chat_button.click()
    conversation = window.core.history.get_conversation(window.conversation_id)
    assert conversation.title == "Summary of report.md"
    assert [m.role for m in window.core.history.messages(window.conversation_id)] == ["user", "assistant"]


def test_a_translation_fills_the_review_which_can_be_edited_redone_and_saved(qtbot, make_window, tmp_path):
    window = loaded(qtbot, make_window())
    source = tmp_path / "chapter.docx"
    source.write_bytes(render(read_document_text(tmp_path), "docx"))
    original = source.read_bytes()
    documents = opened(qtbot, window, source)
    qtbot.keyClick(documents, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    panel = documents.translate_panel
    review = panel.review
    doc = documents.doc
    assert review.rowCount() == len(doc.blocks) and review.item(0, 1).text() == "…"
    assert review.verticalHeaderItem(0).text() == "Heading 1"
    panel.target.setCurrentIndex(panel.target.findData("es"))
    arrived = []
    documents.translate_bridge.partial.connect(lambda piece: arrived.append(piece.index))
    qtbot.keyClick(documents, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    result = documents.translation
    assert result is not None, documents.message.plain
    assert arrived == list(range(len(doc.blocks)))  # the review filled block by block
    assert result.output == tmp_path / "chapter.es.docx" and source.read_bytes() == original
    assert "from English" in documents.message.plain
    assert "Translation (Spanish)" == review.horizontalHeaderItem(1).text()
    assert all(review.item(row, 1).text() != "…" for row in range(review.rowCount()))
    code_row = next(i for i, b in enumerate(doc.blocks) if b.kind == "code")
    assert review.item(code_row, 1).text() == doc.blocks[code_row].text
    assert not review.item(code_row, 1).flags() & Qt.ItemFlag.ItemIsEditable
    assert not panel.save_button.isEnabled()  # nothing changed since it was written
    assert "structure_lost" in result.as_dict() and not result.losses  # everything made it into the file

    # what the checks find is said aloud, and the blocks concerned are marked
    checked = replace(result, flagged={1: ["repeats itself"]}, structure={**result.structure, "images": (1, 0)})
    documents.translate_bridge.finished.emit(checked)
    assert "only 0 of 1 images" in documents.message.plain and "Look at block 2" in documents.message.plain
    assert "repeats itself" in review.item(1, 1).toolTip() and not review.item(1, 1).icon().isNull()

    # edit the first paragraph by hand: F2, type, Enter
    review.setCurrentCell(1, 1)
    review.setFocus()
    qtbot.keyClick(review, Qt.Key.Key_F2)
    editor = next(w for w in review.viewport().findChildren(QLineEdit) if w.isVisible())
    editor.selectAll()
    editor.insert("El té se **infusiona**, ver [la guía](https://example.com/tea?x=1&y=2).")  # as typed
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: review.dirty)  # the cell commits when Return is handled
    assert panel.save_button.isEnabled()
    qtbot.keyClick(documents, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not review.dirty and "Saved the translation as chapter.es.docx" in documents.message.plain
    saved = read_document(result.output)
    assert saved.blocks[1].text == "El té se infusiona, ver la guía."
    assert [(s.text, s.bold, s.link) for s in saved.blocks[1].spans if s.bold or s.link] == [
        ("infusiona", True, None), ("la guía", False, "https://example.com/tea?x=1&y=2")]
    assert shape(saved)[0] == shape(doc)[0] and shape(saved)[3] == shape(doc)[3]

    # translate one block again
    review.selectRow(0)
    assert panel.retranslate_button.isEnabled()
    qtbot.keyClick(documents, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert documents.job is not None
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    assert "Block 1 is translated again" in documents.message.plain and review.dirty
    assert review.translated[0].kind == "heading" and review.translated[0].level == 1
    as_html = tmp_path / "capitulo.html"
    assert documents.translation_result.save_to(as_html)
    assert shape(read_document(as_html))[0] == shape(doc)[0] and not review.dirty
    assert not documents.translation_result.save_to(source) and "original" in documents.message.plain
    assert source.read_bytes() == original


def read_document_text(tmp_path):
    path = tmp_path / "chapter-source.md"
    path.write_text(CHAPTER, encoding="utf-8")
    return read_document(path)


def test_a_cancelled_translation_keeps_its_blocks_and_goes_on(qtbot, make_window, tmp_path):
    window = loaded(qtbot, make_window())
    source = tmp_path / "chapter.md"
    source.write_text(CHAPTER, encoding="utf-8")
    documents = opened(qtbot, window, source)
    panel = documents.translate_panel
    panel.target.setCurrentIndex(panel.target.findData("fr"))
    panel.source.setCurrentIndex(panel.source.findData("en"))
    arrived = []

    def on_piece(piece):
        arrived.append(piece.index)
        if len(arrived) == 4:
            qtbot.keyClick(documents, Qt.Key.Key_Escape)  # Esc cancels

    documents.translate_bridge.partial.connect(on_piece)
    documents.tabs.setCurrentIndex(1)
    panel.run_button.click()
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    assert documents.translation is None and "Stopped after" in documents.message.plain
    assert "#c62828" not in documents.message.text()  # stopped as asked: said plainly, not as an error
    assert "kept" in documents.message.plain and not (tmp_path / "chapter.fr.md").exists()
    filled = [row for row in range(panel.review.rowCount()) if panel.review.item(row, 1).text() != "…"]
    assert len(filled) >= 4  # what arrived stays on screen
    panel.target.setCurrentIndex(panel.target.findData("de"))
    documents.open_path(source)  # opened again later: the page says what waits, and where
    qtbot.waitUntil(lambda: "was stopped" in documents.message.plain, timeout=WAIT_MS)
    assert "into French was stopped with" in documents.message.plain and panel.target.currentData() == "fr"
    labels = []
    documents.translate_bridge.progress.connect(lambda done, total, label: labels.append(label))
    documents.translate_bridge.partial.disconnect(on_piece)
    panel.run_button.click()
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    assert documents.translation is not None, documents.message.plain
    assert any("kept from before" in label for label in labels)
    from desktop_llm.core.documents.translate import translatable

    sendable = sum(1 for b in documents.doc.blocks if translatable(b))
    assert documents.translation.translated_blocks < sendable  # the finished ones were not sent again
    kept = documents.translation.kept_blocks
    assert kept >= 4 and f"of {len(documents.doc.blocks)} blocks ({kept} of them kept from the earlier run" in \
        documents.message.plain
    assert (tmp_path / "chapter.fr.md").exists()


def test_bad_documents_are_refused_and_the_open_one_kept(qtbot, make_window, tmp_path):
    window = make_window()
    good = tmp_path / "notes.txt"
    good.write_text("The shop opens at nine.", encoding="utf-8")
    documents = opened(qtbot, window, good)
    cases = {"broken.docx": (b"PK not a docx", "damaged"), "empty.md": (b"", "empty"),
             "photo.html": (bytes(range(256)) * 8, "not a text file"), "sheet.xlsx": (b"x", "not supported")}
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        documents.open_path(tmp_path / name)
        qtbot.waitUntil(lambda: documents.open_button.isEnabled(), timeout=WAIT_MS)
        assert expected in documents.message.plain, (name, documents.message.plain)
        assert documents.path == good and documents.doc is not None  # the open document stays
    assert documents.summary_panel.run_button.isEnabled()


def test_unsaved_review_edits_are_asked_about_before_closing(qtbot, make_window, tmp_path):
    window = loaded(qtbot, make_window())
    source = tmp_path / "short.md"
    source.write_text("# Tea\n\nTea is steeped, not boiled.\n", encoding="utf-8")
    documents = opened(qtbot, window, source)
    panel = documents.translate_panel
    panel.target.setCurrentIndex(panel.target.findData("de"))
    panel.source.setCurrentIndex(panel.source.findData("en"))

    def edit_while_translating(piece):  # the heading is edited while the paragraph is still translating
        if piece.index == 0:
            panel.review.item(0, 1).setText("Tee")

    documents.translate_bridge.partial.connect(edit_while_translating)
    documents.translate()
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    assert documents.translation is not None, documents.message.plain
    assert panel.review.translated[0].text == "Tee" and panel.review.dirty  # the edit outlived the end
    panel.review.item(1, 1).setText("Tee wird aufgegossen, nicht gekocht.")
    assert panel.review.dirty
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Cancel)
    window.close()  # the main window asks through the Documents page, and stays
    assert seen and "not saved" in seen[0] and window.isVisible() and documents.isVisible()
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Save)
    documents.close()
    assert not documents.isVisible()
    saved = read_document(tmp_path / "short.de.md")
    assert [b.text for b in saved.blocks] == ["Tee", "Tee wird aufgegossen, nicht gekocht."]


def test_the_documents_page_names_its_controls_and_has_shortcuts(qtbot, make_window):
    from tests.gui.test_access import unnamed_controls

    documents = make_window().tools.open_documents()
    assert unnamed_controls(documents) == []
    for menu_action in documents.menuBar().actions():
        for action in menu_action.menu().actions():
            if not action.isSeparator():
                assert not action.shortcut().isEmpty(), action.text()
    assert not documents.summary_panel.run_button.isEnabled()  # nothing open yet


def test_a_glossary_is_chosen_and_its_misses_reported(qtbot, make_window, tmp_path):
    window = loaded(qtbot, make_window())
    source = tmp_path / "menu.md"
    source.write_text("# Tea menu\n\nOur tea is steeped with care.\n", encoding="utf-8")
    documents = opened(qtbot, window, source)
    bad = tmp_path / "empty.csv"
    bad.write_text("term,translation\n", encoding="utf-8")
    documents.translation_result.set_glossary(bad)
    assert "no term,translation lines" in documents.message.plain
    assert documents.translate_panel.glossary_label.text() == "No glossary"
    glossary = tmp_path / "terms.csv"
    glossary.write_text("term,translation\ntea,XQZ\n", encoding="utf-8")
    documents.translation_result.set_glossary(glossary)
    panel = documents.translate_panel
    assert panel.glossary_label.text() == "terms.csv: 1 term" and not panel.clear_glossary_button.isHidden()
    panel.target.setCurrentIndex(panel.target.findData("pt"))
    documents.translate()
    qtbot.waitUntil(lambda: idle(documents), timeout=LONG_WAIT)
    result = documents.translation
    assert result is not None, documents.message.plain
    for row, block in enumerate(result.document.blocks):  # each block uses the term, or its miss is reported
        if "xqz" not in block.text.lower():
            assert f"tea → XQZ (block {row + 1})" in documents.message.plain
    panel.clear_glossary_button.click()
    assert documents.translation_result.glossary == {} and panel.glossary_label.text() == "No glossary"
    assert panel.clear_glossary_button.isHidden()  # "No glossary" is said once, by the label
    before = result.output.read_bytes()
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Cancel)
    documents.translate()  # the earlier translation (perhaps edited) is not replaced unasked
    assert seen and "already exists" in seen[0] and documents.job is None
    assert result.output.read_bytes() == before
