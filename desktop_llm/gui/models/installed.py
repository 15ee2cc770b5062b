"""Installed view: the starter, downloaded, Hugging Face cache and imported
models with their metadata; use, remove, and import (file dialog or drop)."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QTreeWidgetItem, QVBoxLayout, QWidget

from desktop_llm.core.host import ModelHost
from desktop_llm.core.models.manager import InstalledRow
from desktop_llm.core.units import format_size
from desktop_llm.gui.common.background import Background
from desktop_llm.gui.common.widgets import MessageLine, button, tree
from desktop_llm.gui.models.speed import SpeedCheck

ROLE = Qt.ItemDataRole.UserRole
SOURCES = {"bundled": "Starter (comes with the app)", "downloaded": "Downloaded",
           "hf-cache": "Hugging Face cache", "imported": "Imported file"}


def gguf_paths(event) -> list[str]:
    """The .gguf files among what is being dragged."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile().lower().endswith(".gguf")]


class InstalledView(QWidget):
    use_requested = Signal(str)  # a model's name: make it the default and load it
    changed = Signal()  # models were imported or removed

    def __init__(self, manager, background: Background, host: ModelHost | None = None, parent=None):
        super().__init__(parent)
        self.manager = manager
        self.background = background
        self.rows: list[InstalledRow] = []
        self.list = tree("Installed models", "Models on this computer; drop a .gguf file here to add it",
                         ["Model", "Source", "Parameters", "Quantization", "Context", "Size"])
        self.list.currentItemChanged.connect(self._show_details)
        self.list.itemActivated.connect(lambda *_: self.use_selected())
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = button("&Use this model", "Make it the default and load it (Enter)", self.use_selected)
        self.remove_button = button("&Remove…", "Delete the downloaded file, or forget an imported one (Del)",
                                    self.remove_selected)
        self.remove_button.setShortcut("Del")
        self.import_button = button("&Import file…", "Add a .gguf file from this computer (or drop it here)",
                                    self.import_dialog)
        self.message = MessageLine()
        self.speed = SpeedCheck(host, self) if host is not None else None
        self.measure_button = button("Measure &speed", "What this computer does with the chosen model: "
                                     "load time, prompt reading, first word, writing speed", self.measure_selected)
        self.measure_button.setVisible(self.speed is not None)
        if self.speed is not None:
            self.speed.said.connect(self.message.say)
            self.speed.running_changed.connect(self._measuring)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.measure_button)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        row.addWidget(self.use_button)
        hint = QLabel("Tip: drop a .gguf file on this window to import it.")
        hint.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addLayout(row)
        self._update_buttons()

    # -- listing --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the models (headers may take seconds the first time) in the background."""
        self.background.run(self.manager.installed, self.set_rows,
                            lambda m: self.message.say(m, error=True))

    def set_rows(self, rows: list[InstalledRow]) -> None:
        chosen = self.selected()
        self.rows = rows
        self.list.clear()
        bold = QFont()
        bold.setBold(True)
        for index, row in enumerate(rows):
            info = row.info
            name = row.model.name + ("  ★ default" if row.default else "")
            item = QTreeWidgetItem([
                name, SOURCES.get(row.model.source, row.model.source),
                info.parameters_text if info else "?", info.quantization if info else "?",
                f"{info.context_length:,}" if info else "?", format_size(info.file_size) if info else "",
            ])
            item.setData(0, ROLE, index)
            item.setToolTip(0, str(row.model.path))
            if row.default:
                item.setFont(0, bold)
            self.list.addTopLevelItem(item)
        for column in range(self.list.columnCount()):
            self.list.resizeColumnToContents(column)
        keep = next((i for i, r in enumerate(rows) if chosen and r.model.path == chosen.model.path), None)
        if keep is None:
            keep = next((i for i, r in enumerate(rows) if r.default), 0)
        current = self.list.topLevelItem(keep) if rows else None
        if current is not None:
            self.list.setCurrentItem(current)
        self._update_buttons()

    def selected(self) -> InstalledRow | None:
        item = self.list.currentItem()
        return None if item is None else self.rows[item.data(0, ROLE)]

    def select_path(self, path: Path) -> None:
        for i, row in enumerate(self.rows):
            item = self.list.topLevelItem(i)
            if row.model.path == Path(path) and item is not None:
                self.list.setCurrentItem(item)

    def _update_buttons(self) -> None:
        row = self.selected()
        self.use_button.setEnabled(row is not None and row.info is not None)
        measuring = self.speed is not None and self.speed.job is not None
        self.measure_button.setEnabled(measuring or (row is not None and row.info is not None))
        self.remove_button.setEnabled(row is not None and row.model.source in ("downloaded", "imported"))

    def _show_details(self, *_) -> None:
        self._update_buttons()
        row = self.selected()
        if row is None:
            self.details.setText("")
            return
        e = html.escape
        if row.info is None:
            self.details.setText(f"<b>{e(row.model.name)}</b><br>{e(row.problem)}")
            return
        i = row.info
        template = "yes" if i.has_chat_template else "no (a plain ChatML format is used)"
        self.details.setText(
            f"<b>{e(i.name or row.model.name)}</b> · {e(i.architecture)} · {e(i.parameters_text)} parameters"
            f" · {e(i.quantization)} · context {i.context_length:,} tokens · {i.block_count} layers"
            f" · chat template: {template}<br><small>{e(str(row.model.path))}</small>")

    # -- actions ---------------------------------------------------------------------------
    def use_selected(self) -> None:
        row = self.selected()
        if row is not None and row.info is not None:
            self.use_requested.emit(row.model.name)
            self.message.say(f"{row.model.name} is now the default model; it is loading.")

    def measure_selected(self) -> None:
        """Measure the chosen model (or stop measuring)."""
        if self.speed is None:
            return
        if self.speed.job is not None:
            self.speed.stop()
            return
        row = self.selected()
        if row is not None and row.info is not None:
            self.speed.start(row.model)

    def _measuring(self, running: bool) -> None:
        self.measure_button.setText("Stop &measuring" if running else "Measure &speed")
        self._update_buttons()

    def remove_selected(self) -> None:
        row = self.selected()
        if row is None or not self.remove_button.isEnabled():
            return
        if row.model.source == "imported":
            what = "It is only forgotten by the app; the file stays where it is."
        else:
            size = format_size(row.info.file_size) if row.info else "its file"
            what = f"Its file ({size}) is deleted from this computer."
        answer = QMessageBox.question(self, "Remove model", f"Remove {row.model.name}?\n\n{what}",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(row)

    def remove(self, row: InstalledRow) -> None:
        try:
            self.manager.remove(str(row.model.path))
        except Exception as exc:  # UserError, or the disk refusing
            self.message.say(getattr(exc, "message", str(exc)), error=True)
            return
        self.message.say(f"Removed {row.model.name}.")
        self.changed.emit()
        self.refresh()

    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import a model", str(Path.home()),
                                                "GGUF models (*.gguf);;All files (*)")
        for path in paths:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Check the header, trial-load it in a child process, then list it."""
        name = Path(path).name
        self.message.say(f"Checking {name}… (a trial load in a separate process, so a bad file "
                         "cannot harm the app)")
        self.import_button.setEnabled(False)

        def done(row: InstalledRow) -> None:
            self.import_button.setEnabled(True)
            facts = f": {row.info.parameters_text} {row.info.quantization}" if row.info else ""
            self.message.say(f"Imported {row.model.name}{facts}, ready to use.")
            self.changed.emit()

            def listed(rows: list[InstalledRow]) -> None:
                self.set_rows(rows)
                self.select_path(row.model.path)

            self.background.run(self.manager.installed, listed, lambda m: self.message.say(m, error=True))

        def failed(message: str) -> None:
            self.import_button.setEnabled(True)
            self.message.say(f"{name} was not imported. {message}", error=True)

        self.background.run(lambda: self.manager.import_file(path), done, failed)
