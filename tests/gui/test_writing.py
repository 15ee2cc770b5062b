"""The writing workspace and the feedback dialog with real widgets and the
real starter model."""

import docx
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import WAIT_MS, loaded
from tests.gui.test_access import unnamed_controls


def workspace(qtbot, make_window):
    window = loaded(qtbot, make_window())
    ws = window.tools.open_workspace()  # a child of the main window, closed with it
    return window, ws


def generate(qtbot, ws, template_id, values, variants=None):
    ws.form.select(template_id)
    ws.form.set_values(values)
    if variants is not None:
        ws.form.variants.setValue(variants)
    qtbot.mouseClick(ws.form.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.job is None, timeout=WAIT_MS)


def test_variants_side_by_side_and_use_this_autosaves_a_version(qtbot, make_window):
    window, ws = workspace(qtbot, make_window)
    ws.show()
    assert unnamed_controls(ws) == []
    seen = []  # the cards' texts whenever a variant begins: the earlier ones are written already
    ws.draft_bridge.partial.connect(lambda piece: seen.append(ws.variants.texts()) if not piece.done else None)
    streamed = []
    ws.draft_bridge.token.connect(lambda _t: streamed.append(ws.variants.cards[ws._variant[0]].text))
    generate(qtbot, ws, "social-post", {"topic": "our new tea shop", "platform": "X"}, variants=3)
    assert len(seen) == 3 and seen[2][0] and seen[2][1] and not seen[0][0]
    assert len(streamed) > 3 and streamed[0] != streamed[-1]  # a card fills as the tokens come
    viewport = ws.variants.viewport().width()
    assert all(c.geometry().right() <= viewport for c in ws.variants.cards)  # no card cut off at the side
    texts = ws.variants.texts()
    assert len(texts) == 3, ws.status.plain and all(0 < len(t) <= 280 for t in texts)
    assert "3 variants ready" in ws.status.plain
    assert [c.length.text() for c in ws.variants.cards] == [f"{len(t)} characters" for t in texts]
    qtbot.mouseClick(ws.variants.cards[1].use_button, Qt.MouseButton.LeftButton)
    assert ws.editor.toPlainText() == texts[1]
    draft = window.core.drafts.get(ws.draft_id)
    assert draft.body == texts[1] and draft.template == "social-post" and draft.fields["topic"] == "our new tea shop"
    assert window.core.drafts.versions(ws.draft_id)[0].note == "Used variant 2"


def test_typing_autosaves_and_a_new_window_finds_the_draft(qtbot, make_window):
    window, ws = workspace(qtbot, make_window)
    for i, line in enumerate(["# Spring menu", "", "Fresh mint tea"]):
        if i:
            qtbot.keyClick(ws.editor, Qt.Key.Key_Return)
        qtbot.keyClicks(ws.editor, line)
    qtbot.waitUntil(lambda: window.core.drafts.get(ws.draft_id).body.endswith("mint tea"), timeout=5000)
    assert ws.drafts_list.currentItem().text() == "Spring menu"
    draft_id = ws.draft_id
    ws.close()
    again = window.tools.open_workspace()
    assert again.draft_id == draft_id and again.editor.toPlainText().endswith("Fresh mint tea")


def test_rewrite_shows_a_diff_and_accept_or_reject(qtbot, make_window):
    window, ws = workspace(qtbot, make_window)
    original = "Our tea is very very good and it is also quite nice and we like it a lot."
    ws.editor.setPlainText(original)
    ws.save_now("typed")

    def select_all_and_rewrite():
        cursor = ws.editor.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        ws.editor.setTextCursor(cursor)
        qtbot.mouseClick(ws.rewrite_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ws.job is None, timeout=WAIT_MS)

    select_all_and_rewrite()
    assert ws.accept_button.isEnabled() and ws.reject_button.isEnabled()
    assert "line-through" in ws.diff.toHtml() or "underline" in ws.diff.toHtml()
    qtbot.mouseClick(ws.reject_button, Qt.MouseButton.LeftButton)
    assert ws.editor.toPlainText() == original and not ws.accept_button.isEnabled()
    select_all_and_rewrite()
    suggestion = ws.rewriting.pending.new
    qtbot.mouseClick(ws.accept_button, Qt.MouseButton.LeftButton)
    assert ws.editor.toPlainText() == suggestion
    assert window.core.drafts.versions(ws.draft_id)[0].note.startswith("Rewrite accepted")
    assert window.core.drafts.get(ws.draft_id).display_title == original[:60]  # named as before the rewrite
    ws.editor.setPlainText("")  # nothing selected: told, nothing sent
    ws.rewriting.rewrite_selection()
    assert "Select the text" in ws.status.plain and ws.job is None


def test_a_rewritten_paragraph_keeps_its_break_from_the_next(qtbot, make_window):
    window, ws = workspace(qtbot, make_window)
    ws.editor.setPlainText("Our tea is very very good and we like it a lot.\n\nSecond paragraph stays.")
    cursor = ws.editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(ws.editor.toPlainText().index("Second"), QTextCursor.MoveMode.KeepAnchor)
    ws.editor.setTextCursor(cursor)  # the first paragraph and the blank line after it
    ws.rewriting.style_choice.setCurrentIndex(ws.rewriting.style_choice.findData("simpler"))
    qtbot.mouseClick(ws.rewrite_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.job is None, timeout=WAIT_MS)
    qtbot.mouseClick(ws.accept_button, Qt.MouseButton.LeftButton)
    text = ws.editor.toPlainText()
    assert text.endswith("\n\nSecond paragraph stays.") and not text.startswith(("Sure", "Here"))


def test_version_history_restores_and_export_and_copy(qtbot, make_window, tmp_path):
    window, ws = workspace(qtbot, make_window)
    ws.editor.setPlainText("# Tea\n\nFirst **draft**.")
    ws.save_now("first")
    ws.editor.setPlainText("# Tea\n\nSecond draft.")
    ws.save_now("second")

    def restore_oldest():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            return QTimer.singleShot(20, restore_oldest)
        dialog.list.setCurrentRow(dialog.list.count() - 1)
        dialog.restore_button.click()
    QTimer.singleShot(20, restore_oldest)
    ws.show_versions()
    assert ws.editor.toPlainText() == "# Tea\n\nFirst **draft**."
    assert window.core.drafts.versions(ws.draft_id)[0].note.startswith("Restored the version")
    ws.copy_as("html")
    assert "<strong>draft</strong>" in QApplication.clipboard().mimeData().html()
    ws.copy_as("txt")
    assert QApplication.clipboard().text() == "Tea\nFirst draft.\n"
    target = tmp_path / "tea.docx"
    assert ws.export_to(str(target))
    assert [p.text for p in docx.Document(str(target)).paragraphs] == ["Tea", "First draft."]
    assert not ws.export_to(str(tmp_path / "missing" / "tea.docx"))
    assert "does not exist" in ws.status.plain


def test_a_blog_outline_becomes_a_post(qtbot, make_window):
    window, ws = workspace(qtbot, make_window)
    generate(qtbot, ws, "blog-outline", {"topic": "The Future of AI"})
    assert len(ws.variants.texts()) == 1 and ws.variants.texts()[0]
    ws.use_variant(0)
    outline = ws.editor.toPlainText()
    generate(qtbot, ws, "blog-post", {"topic": "The Future of AI"})
    assert ws.variants.texts()[0]
    job_values = window.core.drafts.get(ws.draft_id).fields
    assert job_values["topic"] == "The Future of AI" and outline


def test_a_user_template_made_in_the_editor(qtbot, make_window):
    window, ws = workspace(qtbot, make_window)
    ws.form.select("seo-meta")

    def edit():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            return QTimer.singleShot(20, edit)
        dialog.text.setPlainText("id = [broken")
        dialog.save()
        assert "cannot be read" in dialog.message.plain and dialog.isVisible()  # the text is kept
        dialog.text.setPlainText('id = "tagline"\ntitle = "Tagline"\nprompt = "A tagline for {product}."\n'
                                 '[output]\nshape = "variants"\nvariants = 2\nmax_chars = 60\n'
                                 '[[fields]]\nname = "product"\nlabel = "Product"\nrequired = true\n')
        dialog.save()
    QTimer.singleShot(20, edit)
    ws.edit_template(ws.form.template())
    assert ws.form.template().id == "tagline" and ws.form.choose.currentText() == "Tagline  (yours)"
    assert (window.core.paths.templates_dir / "tagline.toml").exists()
    generate(qtbot, ws, "tagline", {"product": "green tea"})
    assert len(ws.variants.texts()) == 2 and all(len(t) <= 60 for t in ws.variants.texts())


def test_feedback_dialog_labels_every_row_and_saves_csv(qtbot, make_window, tmp_path):
    window = loaded(qtbot, make_window())
    dialog = window.tools.open_feedback()
    assert unnamed_controls(dialog) == []
    feedback = tmp_path / "feedback.csv"
    feedback.write_text("id,comment\n1,Love the teapot\n2,Arrived broken\n3,It is fine\n", encoding="utf-8")
    dialog.load_csv(str(feedback))
    assert [dialog.column.itemText(i) for i in range(dialog.column.count())] == ["id", "comment"]
    assert dialog.column.currentText() == "comment"  # the column with words in it, not the first
    steps = []
    dialog.bridge.progress.connect(lambda done, total, label: steps.append((dialog.progress.value(), label)))
    qtbot.mouseClick(dialog.analyze_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=WAIT_MS)
    labels = [label for _, label in steps]
    assert any(label.startswith("Reading messages 1–3 of 3") for label in labels)
    assert "Labelling message 3 of 3" in labels and "Reading the prompt" not in labels
    assert steps[labels.index("Labelling message 3 of 3")][0] == 2  # the bar says what is done
    assert dialog.table.rowCount() == 3
    assert [dialog.table.item(i, 0).text() for i in range(3)] == ["Love the teapot", "Arrived broken", "It is fine"]
    assert all(dialog.table.item(i, 1).text() in ("positive", "neutral", "negative") for i in range(3))
    assert dialog.counts.text().count("·") == 2 and dialog.trends.text().startswith("<b>Trends:</b>")
    out = tmp_path / "labelled.csv"
    assert dialog.save_to(str(out))
    saved = out.read_text().splitlines()
    assert saved[0] == "id,comment,label,reason" and len(saved) == 4
    assert [line.split(",")[:2] for line in saved[1:]] == [["1", "Love the teapot"], ["2", "Arrived broken"],
                                                           ["3", "It is fine"]]  # every input column kept
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    dialog.load_csv(str(empty))
    assert "empty" in dialog.message.plain


def test_a_customer_reply_written_from_a_library_names_its_sources(qtbot, make_window, tmp_path):
    from tests.gui.test_library import make_folder

    window, ws = workspace(qtbot, make_window)
    window.core.libraries.add("Policies", [make_folder(tmp_path)])
    ws.facts.menu().aboutToShow.emit()  # the menu lists the libraries as the user opens it
    [action] = [a for a in ws.facts.menu().actions() if a.text() == "Policies"]
    action.trigger()
    assert ws.facts.text() == "From: Policies"
    generate(qtbot, ws, "customer-reply", {"message": "Can I return a kettle I bought last week?"}, variants=1)
    assert ws.variants.texts()[0].strip()
    assert "Written from: [1] " in ws.status.plain and "refunds.md, Returns and refunds" in ws.status.plain
