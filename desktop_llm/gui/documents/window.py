"""The Documents page: open or drop a file, then summarize it (any length;
the summary streams in and can be copied, saved or continued as a chat) or
translate it (saved next to the original in its format, reviewed side by
side: edit a block, translate one block again, save). The panels are in
panels, what is done with results in results; this window opens the
document and runs the jobs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.documents.formats import FORMATS, READABLE_SUFFIXES, READABLE_TEXT
from desktop_llm.core.documents.language import LANGUAGES
from desktop_llm.core.documents.readers import read_document
from desktop_llm.core.documents.summarize import Summary
from desktop_llm.core.documents.translate import Translation
from desktop_llm.core.documents.translation_state import translation_output, unfinished
from desktop_llm.core.errors import UserError
from desktop_llm.core.host import Job
from desktop_llm.gui.common.background import Background
from desktop_llm.gui.common.bridge import JobBridge
from desktop_llm.gui.common.widgets import MessageLine, button, menu_action
from desktop_llm.gui.documents.panels import SummaryPanel, TranslatePanel
from desktop_llm.gui.documents.results import SummaryResult, TranslationResult, checks_note, misses_note

FLUSH_MS = 30


def document_paths(event) -> list[Path]:
    """Readable documents among the files being dragged."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in READABLE_SUFFIXES]


class DocumentsWindow(QMainWindow):
    conversation_created = Signal(int)  # "Continue as chat": the main window opens it

    def __init__(self, core, model_provider, parent=None):
        super().__init__(parent)
        self.core = core
        self.model_provider = model_provider
        self.path: Path | None = None
        self.doc = None
        self.job: Job | None = None
        self.summary: Summary | None = None
        self.translation: Translation | None = None
        self._target = ""  # language code of the translation on screen
        self._retranslating = 0  # the row being translated again
        self.summary_model = ""
        self._pending_tokens = ""
        self.summary_result = SummaryResult(self)
        self.translation_result = TranslationResult(self)
        self.setWindowTitle("Documents")
        self.setAcceptDrops(True)
        self.resize(1180, 780)
        self._build()
        self._build_actions()
        self.background = Background(self)
        # One bridge per kind of job, each connected to what that job's results need.
        self.summary_bridge = self._bridge(self._on_summarized)
        self.summary_bridge.token.connect(self._on_token)
        self.translate_bridge = self._bridge(self._on_translated)
        self.translate_bridge.partial.connect(self._on_partial)
        self.retranslate_bridge = self._bridge(self._on_retranslated)
        self.flush_timer = QTimer(self)
        self.flush_timer.setInterval(FLUSH_MS)
        self.flush_timer.timeout.connect(self._flush_tokens)
        self.update_controls()

    def _bridge(self, on_finished) -> JobBridge:
        bridge = JobBridge(self)
        bridge.progress.connect(self._on_progress)
        bridge.finished.connect(on_finished)
        bridge.failed.connect(self._on_failed)
        return bridge

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.open_button = button("&Open document…", f"Open a document: {READABLE_TEXT} (Ctrl+O)",
                                  self.open_dialog)
        self.file_label = QLabel(f"Open a document, or drop one here: {READABLE_TEXT}.")
        self.file_label.setAccessibleName("Document")
        self.summary_panel = SummaryPanel()
        self.translate_panel = TranslatePanel()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Task")
        self.tabs.addTab(self.summary_panel, "Summarize")
        self.tabs.addTab(self.translate_panel, "Translate")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.progress.setVisible(False)
        self.cancel_button = button("Cancel", "Stop the summary or translation (Esc)", self.cancel)
        self.cancel_button.setVisible(False)
        self.message = MessageLine("Documents message")
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.file_label, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        self.setCentralWidget(central)
        s, t = self.summary_panel, self.translate_panel
        s.run_button.clicked.connect(self.summarize)
        summary, translation = self.summary_result, self.translation_result
        s.copy_button.clicked.connect(summary.copy)
        s.save_button.clicked.connect(summary.save_dialog)
        s.chat_button.clicked.connect(summary.continue_as_chat)
        s.result.textChanged.connect(summary.on_edited)
        t.run_button.clicked.connect(self.translate)
        t.glossary_button.clicked.connect(translation.choose_glossary)
        t.clear_glossary_button.clicked.connect(lambda: translation.set_glossary(None))
        t.retranslate_button.clicked.connect(self.retranslate_selected)
        t.save_button.clicked.connect(translation.save)
        t.save_as_button.clicked.connect(translation.save_dialog)
        t.review.edited.connect(lambda _row: self.update_controls())
        t.review.itemSelectionChanged.connect(self.update_controls)

    def _build_actions(self) -> None:
        def action(menu, text, shortcut, slot):
            return menu_action(self, menu, text, shortcut, slot)

        document = self.menuBar().addMenu("&Document")
        action(document, "&Open…", "Ctrl+O", self.open_dialog)
        self.save_action = action(document, "&Save translation", "Ctrl+S", self.translation_result.save)
        self.save_as_action = action(document, "Save translation &as…", "Ctrl+Shift+S",
                                     self.translation_result.save_dialog)
        document.addSeparator()
        action(document, "&Close", "Ctrl+W", self.close)
        tasks = self.menuBar().addMenu("&Tasks")
        action(tasks, "&Summarize", "Ctrl+1", lambda: self.tabs.setCurrentIndex(0))
        action(tasks, "&Translate", "Ctrl+2", lambda: self.tabs.setCurrentIndex(1))
        action(tasks, "&Run", "Ctrl+Return", self.run_current)
        self.retranslate_action = action(tasks, "Re-translate &block", "Ctrl+R", self.retranslate_selected)
        self.copy_action = action(tasks, "&Copy summary", "Ctrl+Shift+C", self.summary_result.copy)
        self.cancel_action = action(tasks, "&Cancel", "Esc", self.cancel)

    # -- opening a document ------------------------------------------------------------------
    def open_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in READABLE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open document", str(Path.home()),
                                              f"Documents ({patterns});;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> None:
        """Read a document off the GUI thread (a long PDF takes a while)."""
        if self.job is not None:
            self.message.say("Wait for the current task to finish, or Cancel it, before opening another "
                             "document.", error=True)
            return
        if not self._may_discard():
            return
        path = Path(path)
        self.message.say(f"Reading {path.name}…")
        self.open_button.setEnabled(False)
        self.background.run(lambda: read_document(path), lambda doc: self._on_read(path, doc), self._on_read_failed)

    def _on_read(self, path: Path, doc) -> None:
        self.path, self.doc = path, doc
        self.summary = self.translation = None
        self.summary_panel.result.clear()
        self.summary_result.saved = True
        self.translate_panel.review.set_source(doc)
        self.translate_panel.output_label.clear()
        words = len(doc.text.split())
        kind = FORMATS[doc.format].name if doc.format in FORMATS else doc.format
        self.file_label.setText(f"<b>{path.name}</b> · {kind} · "
                                f"{len(doc.blocks)} blocks · {words:,} words")
        self.setWindowTitle(f"{path.name} — Documents")
        self.message.say(f"{path.name} is open. Summarize it, or choose a language and Translate."
                         + self._unfinished_note(path, doc))
        self.update_controls()

    def _unfinished_note(self, path: Path, doc) -> str:
        """A translation of this document that was stopped: its finished blocks wait for the next run."""
        kept = unfinished(path, doc)
        if not kept:
            return ""
        code, blocks = max(kept.items(), key=lambda item: item[1])
        self.translate_panel.target.setCurrentIndex(self.translate_panel.target.findData(code))
        return (f" A translation into {LANGUAGES[code]} was stopped with {blocks} block{'s' if blocks != 1 else ''} "
                "done: they are kept, and Translate goes on from there.")

    def _on_read_failed(self, message: str) -> None:
        self.message.say(message, error=True)
        self.update_controls()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if document_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = document_paths(event)
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    # -- summarize ---------------------------------------------------------------------------
    def run_current(self) -> None:
        (self.summarize if self.tabs.currentIndex() == 0 else self.translate)()

    def summarize(self) -> None:
        if self.doc is None or self.path is None or self.job is not None or not self.summary_result.may_discard():
            return
        panel = self.summary_panel
        try:
            model = self.model_provider()
            job = self.core.summarizer.summarize(self.doc, model, panel.summary_style.currentData(),
                                                 panel.length.currentData(), panel.language.currentData(),
                                                 listener=self.summary_bridge.deliver)
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return
        self.tabs.setCurrentIndex(0)
        self.summary_model = model.name
        self.summary = None
        panel.result.clear()
        panel.result.setReadOnly(True)
        self._start(job, f"Summarizing {self.path.name}…")

    # -- translate ---------------------------------------------------------------------------
    def translate(self) -> None:
        if self.doc is None or self.path is None or self.job is not None or \
                not self.translation_result.may_discard():
            return
        panel = self.translate_panel
        target = panel.target.currentData()
        output = translation_output(self.path, self.doc, target)
        if output.exists() and not self.translation_result.may_replace(output):
            return
        try:
            job = self.core.translator.translate(self.path, self.doc, self.model_provider(), target,
                                                 panel.source.currentData(),
                                                 glossary=self.translation_result.glossary,
                                                 listener=self.translate_bridge.deliver)
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return
        self.tabs.setCurrentIndex(1)
        self.translation = None
        panel.review.clear_translation()
        panel.review.set_target_name(LANGUAGES[target])
        panel.output_label.clear()
        self._target = target
        self._start(job, f"Translating {self.path.name} into {LANGUAGES[target]}…")

    def retranslate_selected(self) -> None:
        review = self.translate_panel.review
        row = review.selected_row()
        if self.translation is None or self.doc is None or row is None or self.job is not None:
            return
        try:
            job = self.core.translator.retranslate(self.doc.blocks[row], self.model_provider(),
                                                   self._target, self.translation.source_language,
                                                   self.translation_result.glossary,
                                                   listener=self.retranslate_bridge.deliver)
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return
        self._retranslating = row
        self._start(job, f"Translating block {row + 1} again…")

    # -- jobs --------------------------------------------------------------------------------
    def _start(self, job: Job, message: str) -> None:
        self.job = job
        self.progress.setRange(0, 0)  # busy until the first progress arrives
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.message.say(message)
        self.flush_timer.start()
        self.update_controls()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_token(self, text: str) -> None:
        self._pending_tokens += text

    def _flush_tokens(self) -> None:
        if self._pending_tokens:
            self.summary_panel.result.moveCursor(self.summary_panel.result.textCursor().MoveOperation.End)
            self.summary_panel.result.insertPlainText(self._pending_tokens)
            self._pending_tokens = ""

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, total)  # no total: waiting for the model (a busy bar)
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total}" if total else "")
        self.message.say(label)

    def _on_partial(self, piece) -> None:
        self.translate_panel.review.set_translated(piece.index, piece.block)

    def _end_job(self) -> None:
        self._flush_tokens()
        self.job = None
        self.flush_timer.stop()
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.summary_panel.result.setReadOnly(False)
        self.update_controls()

    def _on_summarized(self, result: Summary) -> None:
        self._end_job()
        self.summary = result
        self.summary_panel.result.blockSignals(True)  # the text as written is not an edit
        self.summary_panel.result.setPlainText(result.text)
        self.summary_panel.result.blockSignals(False)
        self.summary_result.saved = True
        self.message.say(" ".join([f"Summarized {result.input_tokens:,} tokens in {result.chunks} "
                                   f"part{'s' if result.chunks != 1 else ''} in {result.seconds:.0f} s. "
                                   "Copy it, save it, or continue as a chat.", *result.notes]))
        self.update_controls()

    def _on_translated(self, result: Translation) -> None:
        self._end_job()
        self.translation = result  # its blocks are on screen already (one Partial each)
        source = f" from {LANGUAGES[result.source_language]}" if result.source_language else ""
        self.translate_panel.output_label.setText(f"Saved as {result.output}")
        note = (f"{result.summary_line()[:-1]}{source}, and saved {result.output.name} next to "
                "the original. Review it: edit a block (F2), or select one and Re-translate; then Save.")
        for row, problems in result.flagged.items():
            self.translate_panel.review.flag(row, problems)
        self.message.say(note + misses_note(result.glossary_misses) + checks_note(result),
                         error=bool(result.losses))
        self.update_controls()

    def _on_retranslated(self, result: tuple) -> None:
        self._end_job()
        block, misses = result
        self.translate_panel.review.set_translated(self._retranslating, block, by_hand=True)
        self.message.say(f"Block {self._retranslating + 1} is translated again. Save to keep it." + misses_note(misses))
        self.update_controls()

    def _on_failed(self, message: str, _detail: str) -> None:
        stopped = self.job is not None and self.job.cancel_event.is_set()  # as asked: not an error
        self._end_job()
        self.message.say(message, error=not stopped)

    def update_controls(self) -> None:
        idle = self.job is None
        has_doc = self.doc is not None
        s, t = self.summary_panel, self.translate_panel
        self.open_button.setEnabled(idle and not self.background.busy)
        s.run_button.setEnabled(idle and has_doc)
        t.run_button.setEnabled(idle and has_doc)
        s.set_has_result(idle and self.summary is not None)
        translated = self.translation is not None and t.review.complete
        t.retranslate_button.setEnabled(idle and translated and t.review.selected_row() is not None)
        t.save_button.setEnabled(idle and translated and t.review.dirty)
        t.save_as_button.setEnabled(idle and translated)
        self.save_action.setEnabled(t.save_button.isEnabled())
        self.save_as_action.setEnabled(t.save_as_button.isEnabled())
        self.retranslate_action.setEnabled(t.retranslate_button.isEnabled())
        self.cancel_action.setEnabled(not idle)

    # -- nothing the user changed is lost ------------------------------------------------------
    def _may_discard(self) -> bool:
        return self.translation_result.may_discard() and self.summary_result.may_discard()

    def closeEvent(self, event) -> None:
        if not self._may_discard():
            event.ignore()
            return
        self.cancel()
        super().closeEvent(event)
