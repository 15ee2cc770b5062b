"""The main window: conversation list, chat view, input, status bar.

All model work goes through core's ChatService and ModelHost; this module
only turns user actions into core calls and core events into widgets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QProgressBar, QPushButton,
    QSplitter, QVBoxLayout, QWidget,
)

from desktop_llm.core.app import AppCore
from desktop_llm.core.chat import TurnResult
from desktop_llm.core.errors import UserError
from desktop_llm.core.host import LoadedModel
from desktop_llm.core.models import InstalledModel
from desktop_llm.gui.bridge import JobBridge
from desktop_llm.gui.chat_view import ChatView, MessageBubble
from desktop_llm.gui.input_box import InputBox

FLUSH_MS = 30  # streamed text is appended to the view at most this often


class MainWindow(QMainWindow):
    def __init__(self, core: AppCore, parent=None):
        super().__init__(parent)
        self.core = core
        self.model: InstalledModel | None = None
        self.model_ready = False
        self.conversation_id: int | None = None
        self._job = None
        # One long-lived bridge per kind of job; the host runs jobs one at a time.
        self._load_bridge = JobBridge(self)
        self._load_bridge.progress.connect(self._on_progress)
        self._load_bridge.finished.connect(self._on_model_loaded)
        self._load_bridge.failed.connect(self._on_model_failed)
        self._chat_bridge = JobBridge(self)
        self._chat_bridge.started.connect(self._on_started)
        self._chat_bridge.token.connect(self._on_token)
        self._chat_bridge.progress.connect(self._on_progress)
        self._chat_bridge.finished.connect(self._on_finished)
        self._chat_bridge.failed.connect(self._on_failed)
        self._stream_bubble: MessageBubble | None = None
        self._stream_conversation: int | None = None
        self._pending_text = ""  # tokens not yet shown
        self._stream_text = ""  # everything streamed so far in this reply

        self.setWindowTitle("desktop-llm")
        self.resize(1000, 700)
        self._build_widgets()
        self._build_actions()
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush_tokens)
        self.refresh_conversations()
        self._update_controls()

    # -- layout ------------------------------------------------------------------
    def _build_widgets(self) -> None:
        sidebar = QWidget()
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(6, 6, 0, 6)
        self.new_chat_button = QPushButton("New chat")
        self.new_chat_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_chat_button.setAccessibleName("New chat")
        self.new_chat_button.clicked.connect(self.new_chat)
        self.conversation_list = QListWidget()
        self.conversation_list.setAccessibleName("Conversations")
        self.conversation_list.setToolTip("Your saved conversations")
        self.conversation_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversation_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conversation_list.itemSelectionChanged.connect(self._on_conversation_chosen)
        side.addWidget(self.new_chat_button)
        side.addWidget(self.conversation_list)

        main = QWidget()
        col = QVBoxLayout(main)
        col.setContentsMargins(0, 6, 6, 6)
        self.chat_view = ChatView()
        self.input = InputBox()
        self.input.submitted.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send the message (Enter)")
        self.send_button.setAccessibleName("Send")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.setAccessibleName("Stop")
        self.stop_button.clicked.connect(self.stop)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addLayout(buttons)
        col.addWidget(self.chat_view, 1)
        col.addLayout(row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(sidebar)
        splitter.addWidget(main)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        self.setCentralWidget(splitter)

        self.model_label = QLabel("No model")
        self.model_label.setAccessibleName("Model")
        self.speed_label = QLabel("")
        self.speed_label.setAccessibleName("Speed of the last reply")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setVisible(False)
        self.statusBar().addWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.input.setFocus()

    def _build_actions(self) -> None:
        def action(text: str, shortcut, slot) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.new_chat_action = action("&New chat", "Ctrl+N", self.new_chat)
        self.stop_action = action("&Stop reply", "Esc", self.stop)
        self.quit_action = action("&Quit", "Ctrl+Q", self.close)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.new_chat_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        chat_menu = self.menuBar().addMenu("&Chat")
        chat_menu.addAction(self.stop_action)

    # -- model ---------------------------------------------------------------------
    def start_loading(self, model_name: str | None = None) -> None:
        """Load the model in the worker; the window is already usable."""
        try:
            self.model = self.core.resolve_model(model_name)
        except UserError as exc:
            self._on_model_failed(exc.message, exc.detail)
            return
        self.model_ready = False
        self.model_label.setText(f"Loading {self.model.name}…")
        self.input.set_hint("The model is loading — you can type already.")
        self.core.host.load(self.model, listener=self._load_bridge.deliver)

    def _on_model_loaded(self, loaded: LoadedModel) -> None:
        self.model_ready = True
        self.progress_bar.setVisible(False)
        info = loaded.info
        self.model_label.setText(
            f"{loaded.model.name}  ·  {info.parameters_text} {info.quantization}  ·  {loaded.device}"
        )
        self.model_label.setToolTip(
            f"{info.name}\n{info.architecture}, context {info.context_length} tokens\n{info.path}"
        )
        self.input.set_hint("Message the assistant — Enter sends, Shift+Enter for a new line")

    def _on_model_failed(self, message: str, detail: str) -> None:
        self.progress_bar.setVisible(False)
        self.model_label.setText("No model loaded")
        self.chat_view.add("notice", message)

    # -- conversations ---------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self.conversation_list.blockSignals(True)
        self.conversation_list.clear()
        for c in self.core.history.list_conversations():
            item = QListWidgetItem(c.title or "Untitled")
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            item.setToolTip(f"{c.title}\n{c.message_count} messages · {c.updated_at[:16].replace('T', ' ')}")
            self.conversation_list.addItem(item)
            if c.id == self.conversation_id:
                item.setSelected(True)
                self.conversation_list.setCurrentItem(item)
        self.conversation_list.blockSignals(False)

    def _on_conversation_chosen(self) -> None:
        items = self.conversation_list.selectedItems()
        if items:
            self.open_conversation(items[0].data(Qt.ItemDataRole.UserRole))

    def open_conversation(self, conversation_id: int) -> None:
        self._flush_tokens()
        self.conversation_id = conversation_id
        self.chat_view.clear()
        self._stream_bubble = None
        for m in self.core.history.messages(conversation_id):
            bubble = self.chat_view.add(m.role, m.content, m.status)
            if m.status == "error" and m.error:
                bubble.set_status("error", f"error: {m.error}")
            if self._job is not None and m.status == "streaming" and conversation_id == self._stream_conversation:
                bubble.set_text(self._stream_text, final=False)  # newer than the last flush to disk
                self._stream_bubble = bubble
        self.input.setFocus()

    def new_chat(self) -> None:
        self.conversation_id = None
        self.chat_view.clear()
        self._stream_bubble = None
        self.conversation_list.clearSelection()
        self.input.setFocus()

    # -- sending -----------------------------------------------------------------------
    def send(self) -> None:
        text = self.input.toPlainText()
        if not text.strip() or self._job is not None:
            return
        if self.model is None:
            self.chat_view.add("notice", "No model is available. Choose a model file with --model PATH.")
            return
        try:
            self._job = self.core.chat.send(text, self.model, self.conversation_id,
                                            listener=self._chat_bridge.deliver)
        except UserError as exc:
            self.chat_view.add("notice", exc.message)
            return
        self.input.clear()
        self.chat_view.add("user", text)
        self._stream_bubble = self.chat_view.add("assistant", "", "streaming")
        self._pending_text = self._stream_text = ""
        self._flush_timer.start()
        self._update_controls()
        self.input.setFocus()

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _on_started(self, info: dict) -> None:
        self._stream_conversation = info.get("conversation_id")
        if self.conversation_id is None:
            self.conversation_id = self._stream_conversation
        self.refresh_conversations()

    def _on_token(self, text: str) -> None:
        self._pending_text += text

    def _flush_tokens(self) -> None:
        if not self._pending_text:
            return
        self._stream_text += self._pending_text
        if self._stream_bubble is not None:
            self._stream_bubble.append(self._pending_text)
        self._pending_text = ""

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress_bar.setVisible(done < total)
        self.progress_bar.setMaximum(max(total, 1))
        self.progress_bar.setValue(done)
        self.statusBar().showMessage(label, 3000)

    def _end_stream(self) -> None:
        self._flush_tokens()
        self._flush_timer.stop()
        self._job = None
        self.progress_bar.setVisible(False)
        self._update_controls()

    def _on_finished(self, result: TurnResult) -> None:
        bubble = self._stream_bubble
        self._end_stream()
        if bubble is not None:
            bubble.set_text(result.text, final=True)
            bubble.set_status(result.status)
        self._stream_bubble = None
        stats = result.stats
        self.speed_label.setText(
            f"{stats.tokens_per_second:.1f} tokens/s · {stats.completion_tokens} tokens"
        )
        self.refresh_conversations()

    def _on_failed(self, message: str, detail: str) -> None:
        bubble = self._stream_bubble
        self._end_stream()
        if bubble is not None:
            if bubble.text:
                bubble.set_status("error")
            else:
                bubble.setVisible(False)
        self._stream_bubble = None
        self.chat_view.add("notice", message)
        self.refresh_conversations()

    def _update_controls(self) -> None:
        busy = self._job is not None
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the reply (the host saves it as stopped) and stop listening."""
        self.stop()
        self._flush_tokens()
        self._flush_timer.stop()
        self._chat_bridge.blockSignals(True)
        self._load_bridge.blockSignals(True)
        super().closeEvent(event)
