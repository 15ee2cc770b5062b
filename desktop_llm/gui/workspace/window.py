"""The writing workspace: drafts on the left, the editor in the middle, and
a side panel to write from a template (variants side by side) or rewrite a
selection (shown as a diff to accept or reject). Drafts autosave."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.drafting.formats import to_docx, to_html, to_plain
from desktop_llm.core.drafting.templates import with_draft
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import safe_filename, save_file
from desktop_llm.core.host import Job
from desktop_llm.gui.common.bridge import JobBridge
from desktop_llm.gui.common.library_picker import LibraryPicker
from desktop_llm.gui.common.widgets import MessageLine, button, menu_action, named
from desktop_llm.gui.workspace.rewrite_panel import RewritePanel
from desktop_llm.gui.workspace.template_editor import TemplateEditor
from desktop_llm.gui.workspace.template_form import TemplateForm
from desktop_llm.gui.workspace.variants_view import VariantsView
from desktop_llm.gui.workspace.versions_dialog import VersionsDialog

AUTOSAVE_MS = 800
ROLE = Qt.ItemDataRole.UserRole


class WorkspaceWindow(QMainWindow):
    def __init__(self, core, model_provider, parent=None):
        super().__init__(parent)
        self.core = core
        self.model_provider = model_provider  # the model the main window uses
        self.draft_id: int | None = None
        self.job: Job | None = None
        self._streamed = ""
        self._variant: tuple[int, int, str] = (0, 0, "")  # the one being written, of how many, its name
        self.setWindowTitle("Writing workspace")
        self.resize(1200, 760)
        self._build()
        self._build_actions()
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_now)
        # One bridge per kind of job, each connected to what that job's results need.
        self.draft_bridge = self._bridge(self._on_draft_text, self._on_drafted, self._on_draft_failed)
        self.draft_bridge.partial.connect(self._on_variant)
        self.refresh_drafts()
        drafts = self.core.drafts.list()
        self.open_draft(drafts[0].id) if drafts else self.new_draft()

    def _bridge(self, on_token, on_finished, on_failed) -> JobBridge:
        bridge = JobBridge(self)
        bridge.token.connect(on_token)
        bridge.progress.connect(self._on_progress)
        bridge.finished.connect(on_finished)
        bridge.failed.connect(on_failed)
        return bridge

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.drafts_list = named(QListWidget(), "Drafts", "Your drafts, newest first")
        self.drafts_list.itemClicked.connect(lambda item: self.open_draft(item.data(ROLE)))
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(button("New draft", "Start an empty draft (Ctrl+N)", self.new_draft))
        col.addWidget(self.drafts_list, 1)
        self.editor = named(QPlainTextEdit(), "Draft", "Your text, in Markdown; it is saved as you type")
        self.editor.setPlaceholderText("Write here, or choose a template on the right and press Generate.")
        self.editor.textChanged.connect(self._on_edited)
        self.form = TemplateForm(self.core.templates())
        self.facts = LibraryPicker(self.core, "Write from your libraries: the draft uses, and cites, the passages "
                                   "found for its fields")
        self.form.set_facts_picker(self.facts)
        self.form.generate_requested.connect(self.generate)
        self.form.stop_requested.connect(self.stop)
        self.form.edit_template_requested.connect(self.edit_template)
        self.variants = VariantsView()
        self.variants.use_requested.connect(self.use_variant)
        self.side = QTabWidget()
        self.side.setAccessibleName("Tools")
        self.side.addTab(self.form, "&Template")
        self.rewriting = rewrite = RewritePanel(self)
        self.diff = rewrite.diff
        self.rewrite_button, self.accept_button, self.reject_button = (
            rewrite.rewrite_button, rewrite.accept_button, rewrite.reject_button)
        self.side.addTab(rewrite, "&Rewrite")
        self.status = MessageLine("Workspace message")
        center = QSplitter(Qt.Orientation.Vertical)
        center.addWidget(self.editor)
        center.addWidget(self.variants)
        center.setSizes([330, 390])
        middle = QWidget()
        mcol = QVBoxLayout(middle)
        mcol.setContentsMargins(0, 0, 0, 0)
        mcol.addWidget(center, 1)
        mcol.addWidget(self.status)
        split = self.split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(self.side)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 0)
        split.setSizes([180, 700, 320])
        self.side.setMinimumWidth(300)
        self.side.setMaximumWidth(400)
        self.setCentralWidget(split)

    def _build_actions(self) -> None:
        def action(menu, text, shortcut, slot):
            return menu_action(self, menu, text, shortcut, slot)

        draft = self.menuBar().addMenu("&Draft")
        action(draft, "&New draft", "Ctrl+N", self.new_draft)
        action(draft, "Re&name…", "F2", self.rename_draft)
        action(draft, "&Version history…", "Ctrl+H", self.show_versions)
        action(draft, "&Delete draft", "Ctrl+Shift+Del", self.delete_draft)
        draft.addSeparator()
        action(draft, "Copy as &Markdown", "Ctrl+Shift+C", lambda: self.copy_as("md"))
        action(draft, "Copy as &HTML", "Ctrl+Alt+H", lambda: self.copy_as("html"))
        action(draft, "Copy as &plain text", "Ctrl+Alt+T", lambda: self.copy_as("txt"))
        action(draft, "&Export as Word document…", "Ctrl+E", self.export_docx)
        draft.addSeparator()
        action(draft, "&Close", "Ctrl+W", self.close)
        write = self.menuBar().addMenu("&Write")
        action(write, "&Generate", "Ctrl+Return", lambda: self.form.generate_button.click())
        action(write, "&Rewrite selection", "Ctrl+Shift+R", self.rewriting.rewrite_selection)
        action(write, "&Stop", "Esc", self.stop)

    # -- drafts ---------------------------------------------------------------------------
    def refresh_drafts(self) -> None:
        self.drafts_list.clear()
        for d in self.core.drafts.list():
            item = QListWidgetItem(d.display_title)
            item.setData(ROLE, d.id)
            self.drafts_list.addItem(item)
            if d.id == self.draft_id:
                self.drafts_list.setCurrentItem(item)

    def new_draft(self) -> None:
        self.save_now()
        t = self.form.template()
        self.open_draft(self.core.drafts.create(template=t.id).id)

    def open_draft(self, draft_id: int) -> None:
        self.save_now()
        d = self.core.drafts.get(draft_id)
        self.draft_id = d.id
        self.editor.blockSignals(True)
        self.editor.setPlainText(d.body)
        self.editor.blockSignals(False)
        if d.template in self.form.templates:
            self.form.select(d.template)
            self.form.set_values(d.fields)
        self.variants.show_texts([])
        self.refresh_drafts()

    def _on_edited(self) -> None:
        self.autosave.start()

    def save_now(self, note: str = "") -> None:
        """Store the draft (the autosave timer calls this; so do the steps that matter)."""
        if self.draft_id is None:
            return
        self.autosave.stop()
        try:
            self.core.drafts.save(self.draft_id, self.editor.toPlainText(), template=self.form.template().id,
                                  fields=self.form.values(), note=note)
        except UserError as exc:
            self.status.say(f"{exc.message} Your text is still here.", error=True)
            return
        title = self.core.drafts.get(self.draft_id).display_title
        item = self.drafts_list.currentItem()
        if item is not None and item.text() != title:
            item.setText(title)

    def keep_draft_name(self) -> None:
        """A draft named after its first line keeps that name when the line is rewritten."""
        if self.draft_id is None:
            return
        self.save_now()
        draft = self.core.drafts.get(self.draft_id)
        if not draft.title and draft.body.strip():
            self.core.drafts.save(draft.id, draft.body, title=draft.display_title)

    def rename_draft(self) -> None:
        if self.draft_id is None:
            return
        d = self.core.drafts.get(self.draft_id)
        title, ok = QInputDialog.getText(self, "Rename draft", "Title:", text=d.display_title)
        if ok:
            self.core.drafts.save(d.id, self.editor.toPlainText(), title=title.strip())
            self.refresh_drafts()

    def delete_draft(self) -> None:
        if self.draft_id is None:
            return
        self.core.drafts.delete(self.draft_id)
        self.draft_id = None
        drafts = self.core.drafts.list()
        self.open_draft(drafts[0].id) if drafts else self.new_draft()

    def show_versions(self) -> None:
        if self.draft_id is None:
            return
        self.save_now()
        dialog = VersionsDialog(self.core.drafts.versions(self.draft_id), self)
        if dialog.exec() and dialog.chosen is not None:
            try:
                draft = self.core.drafts.restore(self.draft_id, dialog.chosen, self.editor.toPlainText())
            except UserError as exc:
                self.status.say(f"{exc.message} Your text is still here.", error=True)
                return
            self.editor.setPlainText(draft.body)
            self.autosave.stop()

    # -- writing from a template -------------------------------------------------------------
    def generate(self, template, values: dict, variants: int) -> None:
        if self.job is not None:
            return
        values = with_draft(values, self.editor.toPlainText())
        try:
            names = list(self.facts.chosen)
            sources = (lambda query: self.core.libraries.sources(names, query)) if names else None
            self.job = self.core.writer.draft(template, values, self.model_provider(), variants,
                                              listener=self.draft_bridge.deliver, sources=sources)
        except UserError as exc:
            self.status.say(exc.message, error=True)
            return
        self._streamed = ""
        self._variant = (0, variants, "")
        self.variants.show_texts([""] * variants)
        self.status.say(f"Writing with “{template.title}”…")
        self.form.set_busy(True)
        self.save_now()

    def use_variant(self, index: int) -> None:
        text = self.variants.texts()[index]
        cursor = self.editor.textCursor()
        if not self.editor.toPlainText().strip():
            self.editor.setPlainText(text)
        else:
            cursor.insertText(text)
        self.save_now(f"Used variant {index + 1}")
        self.status.say(f"Variant {index + 1} is in the draft.")

    # -- job events -------------------------------------------------------------------------------
    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def end_job(self) -> None:
        self.job = None
        self.form.set_busy(False)
        self.rewriting.set_idle()

    def _on_variant(self, piece) -> None:
        """A variant begins (its card fills as it streams) or is finished (its final text)."""
        if piece.index >= len(self.variants.cards):
            return
        card = self.variants.cards[piece.index]
        if piece.done:
            card.set_text(piece.text)
        else:
            card.set_text("")
            self._variant = (piece.index, piece.count, f"Variant {piece.index + 1} of {piece.count}")

    def _on_progress(self, done: int, total: int, label: str) -> None:
        """A step inside a variant (reading the prompt) says which variant it belongs to."""
        if self.job is not None and self._variant[2] and label == "Reading the prompt" and total:
            label = f"{self._variant[2]}: reading the prompt, {100 * done // total}%"
        self.status.say(label)

    def _on_draft_text(self, text: str) -> None:
        index = self._variant[0]
        if index < len(self.variants.cards):
            self.variants.cards[index].append(text)

    def _on_drafted(self, result) -> None:
        self.end_job()
        self.variants.show_texts(result.variants)
        done = f"{len(result.variants)} variant{'s' if len(result.variants) > 1 else ''} ready: press Use this."
        written_from = ["Written from: " + " · ".join(f"[{s.n}] {s.label()}" for s in result.sources)
                        ] if result.sources else []
        self.status.say(" ".join([done, *result.notes, *written_from]))

    def _on_draft_failed(self, message: str, _detail: str) -> None:
        self.end_job()
        self.status.say(message, error=True)

    # -- templates -------------------------------------------------------------------------------
    def edit_template(self, template) -> None:
        editor = TemplateEditor(template, self.core.paths.templates_dir, self)
        if editor.exec() and editor.saved is not None:
            self.form.set_templates(self.core.templates(), editor.saved.id)
            self.status.say(f"Saved the template “{editor.saved.title}” among your templates.")

    # -- copy and export -------------------------------------------------------------------------
    def copy_as(self, fmt: str) -> None:
        text = self.editor.toPlainText()
        mime = QMimeData()
        if fmt == "html":
            mime.setHtml(to_html(text))
            mime.setText(to_plain(text))
        else:
            mime.setText(text if fmt == "md" else to_plain(text))
        QApplication.clipboard().setMimeData(mime)
        self.status.say({"md": "Copied as Markdown.", "html": "Copied as HTML.", "txt": "Copied as plain text."}[fmt])

    def export_docx(self) -> None:
        title = self.core.drafts.get(self.draft_id).display_title if self.draft_id else "draft"
        path, _ = QFileDialog.getSaveFileName(self, "Export as Word document",
                                              str(Path.home() / safe_filename(title, "docx", "draft")),
                                              "Word documents (*.docx)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> bool:
        try:
            save_file(Path(path), to_docx(self.editor.toPlainText()))
        except UserError as exc:
            self.status.say(exc.message, error=True)
            return False
        self.status.say(f"Saved {Path(path).name}.")
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        width = self.split.width()
        self.split.setSizes([180, max(300, width - 180 - 360), 360])  # the editor takes what is left

    def closeEvent(self, event) -> None:
        """Nothing is lost: the draft is saved (a running job is stopped)."""
        self.stop()
        self.save_now()
        super().closeEvent(event)
