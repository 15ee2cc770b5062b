"""The Library page: make a library, add folders and files to it (by dialog or
by dropping them on the page), watch it index with Pause, see which files could
not be read and why, choose the model that finds its passages, search it,
remove it. Indexing and embedding run on a thread of their own: the chat and
the rest of the window keep working meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.app import AppCore
from desktop_llm.core.library.embedder import DEFAULT_EMBEDDER, GGUF_PREFIX
from desktop_llm.core.library.indexer import IndexReport
from desktop_llm.core.models.catalog import embedding_entry
from desktop_llm.gui.common.background import Background
from desktop_llm.gui.common.widgets import MessageLine


class LibraryWindow(QMainWindow):
    progressed = Signal(int, int, str)  # from the indexing thread

    def __init__(self, core: AppCore, parent=None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle("Library")
        self.resize(900, 600)
        self.setAcceptDrops(True)
        self.background = Background(self)
        self.cancel: threading.Event | None = None  # set while indexing
        self.results: list = []  # the last search's hits

        self.libraries = QListWidget()
        self.libraries.setAccessibleName("Libraries")
        self.libraries.currentRowChanged.connect(lambda _row: self.show_library())
        self.new_button = QPushButton("&New library…")
        self.new_button.clicked.connect(self.new_dialog)
        self.add_folder_button = QPushButton("Add &folder…")
        self.add_folder_button.clicked.connect(self.add_folder_dialog)
        self.add_files_button = QPushButton("Add f&iles…")
        self.add_files_button.clicked.connect(self.add_files_dialog)
        self.index_button = QPushButton("&Update index")
        self.index_button.clicked.connect(lambda: self.index(self.current()))
        self.pause_button = QPushButton("&Pause")
        self.pause_button.clicked.connect(self.pause)
        self.remove_button = QPushButton("&Remove…")
        self.remove_button.clicked.connect(self.remove_dialog)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.embedder = QComboBox()
        self.embedder.setAccessibleName("Find passages with")
        self.embedder.activated.connect(lambda _index: self.change_embedder())
        self.unit = "files"  # what the progress counts
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress_label = QLabel()
        self.problems = QListWidget()
        self.problems.setAccessibleName("Files that could not be read")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search this library (Enter)")
        self.query.returnPressed.connect(self.search)
        self.found = QTextBrowser()
        self.found.setAccessibleName("Passages found")
        self.found.setOpenExternalLinks(True)  # a passage's file opens in its own application
        self.message = MessageLine()

        buttons = QHBoxLayout()
        for button in (self.new_button, self.add_folder_button, self.add_files_button, self.index_button,
                       self.pause_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.summary)
        finder = QHBoxLayout()
        label = QLabel("Find passages &with:")
        label.setBuddy(self.embedder)
        finder.addWidget(label)
        finder.addWidget(self.embedder, 1)
        right.addLayout(finder)
        right.addWidget(self.progress)
        right.addWidget(self.progress_label)
        right.addWidget(QLabel("Files that could not be read:"))
        right.addWidget(self.problems, 1)
        right.addWidget(self.query)
        right.addWidget(self.found, 2)
        body = QHBoxLayout()
        body.addWidget(self.libraries, 1)
        body.addLayout(right, 3)
        page = QVBoxLayout()
        page.addLayout(buttons)
        page.addLayout(body, 1)
        page.addWidget(self.message)
        central = QWidget()
        central.setLayout(page)
        self.setCentralWidget(central)
        QShortcut(QKeySequence("Ctrl+F"), self, self.query.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.pause)
        self.progressed.connect(self._on_progress)
        self.refresh()
        self.background.run(core.libraries.warm, lambda _: None, lambda _message: None)  # an error shows on use

    # -- the list ------------------------------------------------------------------------------
    def current(self) -> str | None:
        item = self.libraries.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def refresh(self, select: str | None = None) -> None:
        select = select or self.current()
        self.libraries.blockSignals(True)
        self.libraries.clear()
        for name in self.core.libraries.names():
            info = self.core.libraries.info(name)
            item = QListWidgetItem(f"{name}\n{info.files} files · {info.chunks} passages")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.libraries.addItem(item)
            if name == select:
                self.libraries.setCurrentItem(item)
        if self.libraries.currentItem() is None and self.libraries.count():
            self.libraries.setCurrentRow(0)
        self.libraries.blockSignals(False)
        self.show_library()

    def show_library(self) -> None:
        name = self.current()
        self.problems.clear()
        if name is None:
            self.summary.setText("No library yet. Make one with New library…, then add folders or files "
                                 "(or drop them here).")
        else:
            info = self.core.libraries.info(name)
            self.summary.setText(f"<b>{name}</b>: {info.files} files, {info.chunks} passages, from "
                                 + ", ".join(info.sources) if info.sources else f"<b>{name}</b>: empty")
            self.fill_embedders(info.embedder)
            for path, reason in info.problems:
                name_of = Path(path).name
                item = QListWidgetItem(reason if reason.startswith(name_of) else f"{name_of}: {reason}")
                item.setToolTip(path)
                self.problems.addItem(item)
        self.update_controls()

    def update_controls(self) -> None:
        idle, chosen = self.cancel is None, self.current() is not None
        self.new_button.setEnabled(idle)
        for button in (self.add_folder_button, self.add_files_button, self.index_button, self.remove_button):
            button.setEnabled(idle and chosen)
        self.pause_button.setEnabled(not idle)
        self.query.setEnabled(chosen)
        self.embedder.setEnabled(idle and chosen)

    # -- the model that finds passages -------------------------------------------------------------
    def fill_embedders(self, current: str) -> None:
        """The built-in embedder, then the installed models (embedding models first: they find passages
        by meaning best; a chat model can embed too, less well)."""
        self.embedder.clear()
        self.embedder.addItem("Built-in (WordLlama: quick, English)", DEFAULT_EMBEDDER)
        models = sorted(self.core.registry.installed(), key=lambda m: embedding_entry(m.path.name) is None)
        for model in models:
            kind = "embedding model" if embedding_entry(model.path.name) else "chat model"
            self.embedder.addItem(f"{model.name} ({kind})", GGUF_PREFIX + model.name)
        at = self.embedder.findData(current)
        if at < 0:  # a model no longer installed: shown, so the user sees why search fails
            self.embedder.addItem(f"{current.removeprefix(GGUF_PREFIX)} (not installed)", current)
            at = self.embedder.count() - 1
        self.embedder.setCurrentIndex(at)

    def change_embedder(self) -> None:
        name, target = self.current(), self.embedder.currentData()
        if name is None or self.cancel is not None:
            return
        info = self.core.libraries.info(name)
        if target == info.embedder:
            return
        answer = QMessageBox.question(
            self, "Find passages with another model",
            f"Embed the {info.chunks} passages of {name} again with {self.embedder.currentText()}? "
            "Search keeps working the old way until it is done; Pause keeps what is done.")
        if answer != QMessageBox.StandardButton.Yes:
            self.fill_embedders(info.embedder)
            return
        cancel = self._start("passages", "Loading the model…")
        self.background.run(lambda: self.core.libraries.change_embedder(name, target, self.progressed.emit, cancel),
                            lambda done: self._on_embedded(name, done), self._on_failed)

    def _on_embedded(self, name: str, done: bool) -> None:
        self.cancel = None
        self.progress.setVisible(False)
        self.progress_label.setText("")
        self.refresh(select=name)
        embedder = self.core.libraries.info(name).embedder
        self.message.say(f"{name} now finds passages with {embedder.removeprefix(GGUF_PREFIX)}." if done else
                         "Paused: the passages embedded so far are kept. Choose the model again to go on.")

    # -- making and filling libraries -------------------------------------------------------------
    def new_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "New library", "Name (e.g. Policies, Course notes):")
        if ok and name.strip():
            self.new_library(name.strip())

    def new_library(self, name: str) -> None:
        from desktop_llm.core.library.embedder import DEFAULT_EMBEDDER

        self.core.libraries.store.create(name, DEFAULT_EMBEDDER)
        self.refresh(select=name)
        self.message.say(f"Made the library {name}. Add folders or files to it (or drop them here).")

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to the library")
        if folder:
            self.add_paths([Path(folder)])

    def add_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files to the library")
        if files:
            self.add_paths([Path(f) for f in files])

    def add_paths(self, paths: list[Path]) -> None:
        name = self.current()
        if name is None or self.cancel is not None:
            self.message.say("Choose a library first (or make one), and wait for indexing to finish.",
                             error=True)
            return
        library_id = self.core.libraries.store.library_id(name)
        self.core.libraries.store.add_sources(library_id, [p.resolve() for p in paths])
        self.index(name)

    def index(self, name: str | None) -> None:
        if name is None or self.cancel is not None:
            return
        cancel = self._start("files", "Looking for files…")
        self.background.run(lambda: self.core.libraries.index(name, self.progressed.emit, cancel),
                            lambda report: self._on_indexed(name, report), self._on_failed)

    def _start(self, unit: str, label: str) -> threading.Event:
        """A job begins: progress shown (counting `unit`), the controls that would disturb it off."""
        cancel = self.cancel = threading.Event()
        self.unit = unit
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.progress_label.setText(label)
        self.update_controls()
        return cancel

    def pause(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
            self.progress_label.setText("Pausing after the file in hand…" if self.unit == "files" else
                                        "Pausing after the passages in hand…")

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_label.setText(f"{label} ({done} of {total} {self.unit})")

    def _on_indexed(self, name: str, report: IndexReport) -> None:
        self.cancel = None
        self.progress.setVisible(False)
        self.progress_label.setText("")
        self.refresh(select=name)
        note = (f"Paused: {report.read} files read. Update index to go on." if report.stopped else
                f"{name} is up to date: {report.read} files read, {report.unchanged} unchanged, "
                f"{report.dropped} removed.")
        problems = len(self.core.libraries.info(name).problems)
        self.message.say(note + (f" {problems} could not be read (listed)." if problems else ""))

    def _on_failed(self, message: str) -> None:
        self.cancel = None
        self.progress.setVisible(False)
        self.update_controls()
        self.message.say(message, error=True)

    def remove_dialog(self) -> None:
        name = self.current()
        if name is None:
            return
        answer = QMessageBox.question(self, "Remove library", f"Remove the library {name}? Its files stay where "
                                      "they are; only the index is removed.")
        if answer == QMessageBox.StandardButton.Yes:
            self.core.libraries.remove(name)
            self.refresh()
            self.message.say(f"Removed the library {name}. Its files are untouched.")

    # -- search ----------------------------------------------------------------------------------
    def search(self) -> None:
        name, query = self.current(), self.query.text().strip()
        if name is None or not query:
            return
        self.background.run(lambda: self.core.libraries.search(name, query, 5), self._on_found, self._on_failed)

    def _on_found(self, hits: list) -> None:
        self.results = hits
        if not hits:
            self.found.setPlainText("Nothing found. Try other words.")
            return
        parts = []
        for n, hit in enumerate(hits, 1):
            where = Path(hit.file).name + (f", page {hit.page}" if hit.page else "") + (
                f" — {hit.heading}" if hit.heading else "")
            text = hit.text.replace("&", "&amp;").replace("<", "&lt;")
            parts.append(f"<p><b>[{n}] <a href='{Path(hit.file).as_uri()}'>{where}</a></b><br>{text}</p>")
        self.found.setHtml("".join(parts))

    # -- drag and drop ------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()

    def closeEvent(self, event) -> None:
        self.pause()  # indexing stops after the file in hand; what is done is kept
        super().closeEvent(event)
