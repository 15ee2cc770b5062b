"""Downloads view: a row per download with progress, speed and time left,
and Pause / Resume / Cancel / Use."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QScrollArea, QVBoxLayout, QWidget

from desktop_llm.core.models.download_queue import DownloadItem, DownloadQueue, DownloadState
from desktop_llm.gui.common.widgets import MessageLine, button

STEPS = 1000  # progress bar resolution


class DownloadRow(QFrame):
    def __init__(self, item: DownloadItem, view: "DownloadsView"):
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.item = item
        name = item.remote.name
        self.title = QLabel(f"<b>{name}</b>  <small>{item.remote.repo}</small>")
        self.status = QLabel("")
        self.status.setAccessibleName(f"Status of {name}")
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        self.bar.setAccessibleName(f"Progress of {name}")
        self.bar.setToolTip("Bytes received so far")
        self.pause_button = button("Pause", f"Pause {name}; what arrived is kept",
                                   lambda: view.queue.pause(self.item.id))
        self.resume_button = button("Resume", f"Carry on downloading {name} from where it stopped",
                                    lambda: view.queue.resume(self.item.id))
        self.cancel_button = button("Cancel", f"Stop and delete what arrived of {name}",
                                    lambda: view.queue.cancel(self.item.id))
        self.use_button = button("Use this model", f"Make {name} the default model and load it",
                                 lambda: view.use_requested.emit(str(self.item.path)))
        self.message = MessageLine(f"Problem with {name}")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        for b in (self.pause_button, self.resume_button, self.cancel_button, self.use_button):
            top.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        self.update_item(item)

    def update_item(self, item: DownloadItem) -> None:
        self.item = item
        self.bar.setValue(int(STEPS * item.done / item.total) if item.total else 0)
        active = item.status in (DownloadState.QUEUED, DownloadState.RUNNING, DownloadState.PAUSED)
        self.bar.setVisible(active)
        self.status.setText(item.text)
        self.pause_button.setVisible(item.status in (DownloadState.QUEUED, DownloadState.RUNNING))
        self.resume_button.setVisible(item.status in (DownloadState.PAUSED, DownloadState.FAILED))
        self.resume_button.setText("Retry" if item.status == DownloadState.FAILED else "Resume")
        self.cancel_button.setVisible(active or item.status == DownloadState.FAILED)
        self.use_button.setVisible(item.status == DownloadState.DONE and item.path is not None)
        self.message.say(item.message if item.status == DownloadState.FAILED else "", error=True)


class DownloadsView(QWidget):
    use_requested = Signal(str)  # the downloaded file's path

    def __init__(self, queue: DownloadQueue, parent=None):
        super().__init__(parent)
        self.queue = queue
        self.rows: dict[int, DownloadRow] = {}
        self.empty = QLabel("No downloads. Choose a model in Catalog or Search and press Download.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.addWidget(self.empty)
        self.column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setAccessibleName("Downloads")
        self.clear_button = button("Clear finished", "Take finished and cancelled downloads off the list",
                                   self.clear_finished)
        note = QLabel("Paused downloads are kept on disk: quit whenever you like and resume later.")
        note.setWordWrap(True)
        note.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(note, 1)
        bottom.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        for item in queue.items():
            self.update_item(item)

    def update_item(self, item: DownloadItem) -> None:
        row = self.rows.get(item.id)
        if row is None:
            row = self.rows[item.id] = DownloadRow(item, self)
            self.column.insertWidget(self.column.count() - 1, row)
        else:
            row.update_item(item)
        self.empty.setVisible(not self.rows)

    def clear_finished(self) -> None:
        self.queue.clear_finished()
        for item_id in [i for i, row in self.rows.items() if row.item.finished]:
            row = self.rows.pop(item_id)
            self.column.removeWidget(row)
            row.deleteLater()
        self.empty.setVisible(not self.rows)
