"""Sentiment of customer feedback: paste lines or open a CSV, label every
row (positive / neutral / negative, with a reason), see counts and trends,
save as CSV."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from desktop_llm.core.drafting.feedback import FeedbackTable, feedback_table, labelled_csv, read_text_file
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import save_file
from desktop_llm.gui.common.bridge import JobBridge
from desktop_llm.gui.common.widgets import MessageLine, button, named


class FeedbackDialog(QDialog):
    def __init__(self, core, model_provider, parent=None):
        super().__init__(parent)
        self.core = core
        self.model_provider = model_provider
        self.analysis = None
        self.job = None
        self._csv_text = ""
        self.source: FeedbackTable | None = None  # the rows the analysis was made from
        self.setWindowTitle("Analyze feedback")
        self.setAccessibleName("Analyze feedback")
        self.input = named(QPlainTextEdit(), "Feedback", "One message per line, or open a CSV file")
        self.input.setPlaceholderText("Paste customer feedback here, one message per line — or open a CSV file.")
        self.column = named(QComboBox(), "Column", "The CSV column that holds the feedback")
        self.column.setVisible(False)
        self.open_button = button("Open CSV…", "Read the feedback from a CSV file", self.open_csv)
        self.analyze_button = button("&Analyze", "Label every message (Ctrl+Enter)", self.analyze)
        self.stop_button = button("Stop", "Stop labelling", lambda: self.job and self.job.cancel())
        self.stop_button.setEnabled(False)
        self.save_button = button("Save CSV…", "Save the messages with their labels and reasons", self.save_csv)
        self.save_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.table = named(QTableWidget(0, 3), "Labels", "Each message with its label and the reason")
        self.table.setHorizontalHeaderLabels(["Message", "Label", "Reason"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, header.ResizeMode.Stretch)
        self.counts = QLabel("")
        self.trends = QLabel("")
        self.trends.setWordWrap(True)
        self.message = MessageLine()
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.column)
        top.addStretch(1)
        top.addWidget(self.stop_button)
        top.addWidget(self.analyze_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.input)
        split.addWidget(self.table)
        bottom = QHBoxLayout()
        bottom.addWidget(self.counts, 1)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.trends)
        layout.addLayout(bottom)
        self.bridge = JobBridge(self)
        self.bridge.progress.connect(self._on_progress)
        self.bridge.finished.connect(self._on_finished)
        self.bridge.failed.connect(self._on_failed)
        self.resize(820, 620)

    def open_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open feedback", str(Path.home()),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.load_csv(path)

    def load_csv(self, path: str) -> None:
        try:
            text = read_text_file(path)
            table = feedback_table(text, None, True)
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return
        self._csv_text = text
        self.input.setPlainText(text)
        self.input.setReadOnly(True)
        self.column.clear()
        self.column.addItems(table.columns)
        self.column.setCurrentText(table.column)  # the column with the most words
        self.column.setVisible(True)
        self.message.say(f"{Path(path).name}: the feedback is in “{table.column}”, it seems; "
                         "choose another column if not, then Analyze.")

    def table_in(self) -> FeedbackTable:
        if self._csv_text:
            return feedback_table(self._csv_text, self.column.currentText(), True)
        return feedback_table(self.input.toPlainText(), None, False)

    def analyze(self) -> None:
        try:
            model = self.model_provider()
            self.source = self.table_in()
            self.job = self.core.writer.analyze(self.source.texts, model, listener=self.bridge.deliver)
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return
        self.message.say("Loading the model…")
        self._busy(True)

    def _busy(self, busy: bool) -> None:
        self.analyze_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.progress.setVisible(busy)

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)
        self.message.say(label)

    def _on_failed(self, message: str, _detail: str) -> None:
        self._busy(False)
        self.job = None
        self.message.say(message, error=True)

    def _on_finished(self, analysis) -> None:
        self._busy(False)
        self.job = None
        self.analysis = analysis
        self.message.clear_message()
        self.table.setRowCount(len(analysis.rows))
        for i, row in enumerate(analysis.rows):
            for j, value in enumerate((row.text, row.label, row.reason)):
                self.table.setItem(i, j, QTableWidgetItem(value))
        c = analysis.counts
        self.counts.setText(f"{c['positive']} positive · {c['neutral']} neutral · {c['negative']} negative")
        self.trends.setText(f"<b>Trends:</b> {analysis.trends}")
        self.save_button.setEnabled(True)

    def save_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save labels", str(Path.home() / "feedback-labelled.csv"),
                                              "CSV files (*.csv)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        if self.analysis is None or self.source is None:
            return False
        try:
            save_file(Path(path), labelled_csv(self.analysis, self.source).encode("utf-8"))
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return False
        self.message.say(f"Saved {Path(path).name}.")
        return True
