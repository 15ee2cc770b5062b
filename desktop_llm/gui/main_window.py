"""The main window: sidebar, chat view, input, menus and status bar.

All model work goes through core's ChatService and ModelHost; this module
only turns user actions into core calls and core events into widgets.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.app import AppCore
from desktop_llm.core.chat import TurnResult
from desktop_llm.core.errors import UserError
from desktop_llm.core.host import LoadedModel
from desktop_llm.core.models import ModelRef, hub_token
from desktop_llm.core.secrets import get_secret, set_secret
from desktop_llm.core.server.runner import API_KEY_ACCOUNT
from desktop_llm.gui.api_server_ui import ApiServerUi
from desktop_llm.gui.chat.bubble import MessageBubble, details_text
from desktop_llm.gui.chat.input_box import InputBox
from desktop_llm.gui.chat.view import ChatView
from desktop_llm.gui.common.bridge import JobBridge
from desktop_llm.gui.common.theme import ThemeKeeper
from desktop_llm.gui.common.widgets import button
from desktop_llm.gui.documents.window import DocumentsWindow, document_paths
from desktop_llm.gui.models.installed import gguf_paths
from desktop_llm.gui.models.remote_dialog import RemoteModelsDialog
from desktop_llm.gui.models.ui import ModelsUi
from desktop_llm.gui.models.window import CATALOG, DOWNLOADS, INSTALLED, SEARCH
from desktop_llm.gui.settings_dialog import ConversationSettingsDialog, SettingsDialog
from desktop_llm.gui.sidebar.conversation_files import ConversationFiles
from desktop_llm.gui.sidebar.conversation_list import ConversationSidebar
from desktop_llm.gui.workspace.feedback_dialog import FeedbackDialog
from desktop_llm.gui.workspace.window import WorkspaceWindow

FLUSH_MS = 30  # streamed text is appended to the view at most this often
UNDO_MS = 15_000  # how long the Undo button stays after a delete
BUSY = "Wait for the reply to finish, or press Esc to stop it."


class MainWindow(QMainWindow):
    def __init__(self, core: AppCore, parent=None):
        super().__init__(parent)
        self.core = core
        self.model: ModelRef | None = None
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
        self._stream_message_id: int | None = None
        self._pending_text = ""  # tokens not yet shown
        self._stream_text = ""  # the whole reply so far
        self._editing_id: int | None = None  # the user's message being edited
        self._new_setup: dict = {}  # settings for the next new conversation
        self._trashed: int | None = None  # the conversation Undo brings back
        self._left_out: tuple[int | None, int] = (None, 0)  # turns the last reply could not see
        self._remote_confirmed: set[str] = set()  # remote models the user agreed to send to

        self.setWindowTitle("desktop-llm")
        self.resize(1000, 700)
        self.theme = ThemeKeeper(QApplication.instance())
        self.theme.apply(core.settings.theme, core.settings.font_size)
        self.files = ConversationFiles(self)
        self._build_widgets()
        self._build_actions()
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush_tokens)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self._forget_undo)
        self.setAcceptDrops(True)
        core.history.empty_trash()  # what a previous session deleted is gone for good
        self.refresh_conversations()
        self._update_controls()

    # -- layout ------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.sidebar = ConversationSidebar()
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.conversation_chosen.connect(self.open_conversation)
        self.sidebar.hit_chosen.connect(self.open_hit)
        self.sidebar.search_changed.connect(self.search)
        self.sidebar.rename_requested.connect(self.rename_conversation)
        self.sidebar.pin_requested.connect(self.set_pinned)
        self.sidebar.delete_requested.connect(self.delete_conversation)
        self.sidebar.export_requested.connect(self.files.export_dialog)
        self.sidebar.settings_requested.connect(self.conversation_settings)
        self.conversation_list = self.sidebar.list

        main = QWidget()
        col = QVBoxLayout(main)
        col.setContentsMargins(0, 6, 6, 6)
        self.chat_view = ChatView()
        self.chat_view.action.connect(self.on_message_action)
        self.edit_banner = QWidget()
        banner = QHBoxLayout(self.edit_banner)
        banner.setContentsMargins(4, 0, 4, 0)
        banner.addWidget(QLabel("Editing a message — Enter sends it as a new version; the old one is kept."), 1)
        banner.addWidget(button("Cancel edit", "Stop editing and keep the message as it was (Esc)",
                                self.cancel_edit))
        self.edit_banner.setVisible(False)
        self.input = InputBox()
        self.input.submitted.connect(self.send)
        self.send_button = button("Send", "Send the message (Enter)", self.send)
        self.stop_button = button("Stop", "Stop the reply (Esc)", self.stop)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addLayout(buttons)
        col.addWidget(self.chat_view, 1)
        col.addWidget(self.edit_banner)
        col.addLayout(row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.sidebar)
        splitter.addWidget(main)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 740])
        self.setCentralWidget(splitter)

        self.model_label = QLabel("No model")
        self.model_label.setAccessibleName("Model")
        self.model_label.setToolTip("The model that answers")
        self.speed_label = QLabel("")
        self.speed_label.setAccessibleName("Speed of the last reply")
        self.speed_label.setToolTip("Speed and length of the last reply")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setVisible(False)
        self.progress_bar.setAccessibleName("Progress")
        self.progress_bar.setToolTip("Loading the model or reading the prompt")
        self.undo_button = button("Undo delete", "Bring back the conversation you deleted (Ctrl+Z)",
                                      self.undo_delete)
        self.undo_button.setVisible(False)
        self.statusBar().addWidget(self.model_label)
        self.models_ui = ModelsUi(self)  # adds its downloads indicator to the status bar
        self.api_ui = ApiServerUi(self)  # and the API server's
        self.statusBar().addPermanentWidget(self.undo_button)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.input.setFocus()

    def _build_actions(self) -> None:
        def action(text: str, shortcut: str, slot) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setToolTip(f"{text.replace('&', '').rstrip('…')} ({shortcut})")
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.new_chat_action = action("&New chat", "Ctrl+N", self.new_chat)
        self.import_action = action("&Import conversation…", "Ctrl+O", self.files.import_dialog)
        self.export_action = action("&Export conversation…", "Ctrl+E",
                                    lambda: self.files.export_dialog(self.conversation_id))
        self.settings_action = action("&Settings…", "Ctrl+,", self.open_settings)
        self.quit_action = action("&Quit", "Ctrl+Q", self.close)
        self.undo_action = action("&Undo delete", "Ctrl+Z", self.undo_delete)
        self.find_action = action("&Find in all chats", "Ctrl+F", self.sidebar.focus_search)
        self.pin_action = action("&Pin or unpin conversation", "Ctrl+Shift+P", self.toggle_pin)
        self.conversation_settings_action = action("Conversation se&ttings…", "Ctrl+Shift+S",
                                                   lambda: self.conversation_settings(self.conversation_id))
        self.stop_action = action("&Stop reply", "Esc", self.stop)
        self.regenerate_action = action("&Regenerate reply", "Ctrl+R", lambda: self._act_on_last("regenerate"))
        self.continue_action = action("C&ontinue reply", "Ctrl+Shift+Return", lambda: self._act_on_last("continue"))
        self.edit_last_action = action("&Edit last message", "Ctrl+Shift+E", lambda: self._act_on_last("edit"))
        self.copy_last_action = action("&Copy last reply", "Ctrl+Shift+C", lambda: self._act_on_last("copy"))
        self.previous_version_action = action("Pre&vious version of reply", "Alt+Left",
                                              lambda: self._act_on_last("previous"))
        self.next_version_action = action("Ne&xt version of reply", "Alt+Right", lambda: self._act_on_last("next"))
        self.focus_input_action = action("&Write a message", "Ctrl+L", self.input.setFocus)
        models = self.models_ui
        self.models_action = action("&Models…", "Ctrl+M", lambda: models.open(CATALOG))
        self.search_models_action = action("&Search the Hugging Face Hub…", "Ctrl+Shift+F",
                                           lambda: models.open(SEARCH))
        self.installed_models_action = action("&Installed models…", "Ctrl+Shift+M", lambda: models.open(INSTALLED))
        self.import_model_action = action("Import model &file…", "Ctrl+Shift+O", models.import_dialog)
        self.downloads_action = action("&Downloads…", "Ctrl+J", lambda: models.open(DOWNLOADS))
        self.remote_models_action = action("&Remote models…", "Ctrl+Shift+K", self.open_remote_models)
        self.workspace_action = action("&Writing workspace…", "Ctrl+Shift+D", self.open_workspace)
        self.feedback_action = action("&Analyze feedback…", "Ctrl+Shift+A", self.open_feedback)
        self.documents_action = action("&Documents: summarize or translate…", "Ctrl+D", self.open_documents)

        menus = {
            "&File": [self.new_chat_action, None, self.import_action, self.export_action, None,
                      self.settings_action, None, self.quit_action],
            "&Edit": [self.undo_action, self.find_action, self.pin_action, self.sidebar.rename_action,
                      self.sidebar.delete_action],
            "&Chat": [self.stop_action, self.regenerate_action, self.continue_action, self.edit_last_action,
                      self.copy_last_action, self.previous_version_action, self.next_version_action, None,
                      self.focus_input_action, self.conversation_settings_action],
            "&Write": [self.workspace_action, self.documents_action, self.feedback_action],
            "&Models": [self.models_action, self.search_models_action, self.installed_models_action,
                        self.import_model_action, self.downloads_action, self.remote_models_action],
        }
        for title, actions in menus.items():
            menu = self.menuBar().addMenu(title)
            for a in actions:
                menu.addSeparator() if a is None else menu.addAction(a)

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

    _gpu_notice_shown = False

    def _on_model_loaded(self, loaded: LoadedModel) -> None:
        self.model_ready = True
        self.progress_bar.setVisible(False)
        info = loaded.info
        if loaded.model.is_remote:
            self.model_label.setText(f"☁ {loaded.model.name}  ·  {loaded.device}  ·  text leaves this computer")
        else:
            self.model_label.setText(
                f"{loaded.model.name}  ·  {info.parameters_text} {info.quantization}  ·  {loaded.device}"
            )
        self.model_label.setToolTip(
            f"{info.name}\n{info.architecture}, context {info.context_length} tokens\n{info.path}"
        )
        self.input.set_hint("Message the assistant — Enter sends, Shift+Enter for a new line")
        if loaded.notice and not self._gpu_notice_shown:  # said once per session, not per load
            self._gpu_notice_shown = True
            self.chat_view.add("notice", loaded.notice)

    def _on_model_failed(self, message: str, detail: str) -> None:
        self.progress_bar.setVisible(False)
        self.model_label.setText("No model loaded")
        self.chat_view.add("notice", message)

    # -- writing tools -----------------------------------------------------------------
    workspace = None
    feedback = None
    documents = None

    def open_workspace(self) -> WorkspaceWindow:
        if self.workspace is None:
            self.workspace = WorkspaceWindow(self.core, self._model_for_tools, self)
        self.workspace.show()
        self.workspace.raise_()
        self.workspace.activateWindow()
        return self.workspace

    def open_documents(self, path: str | Path | None = None) -> DocumentsWindow:
        if self.documents is None:
            self.documents = DocumentsWindow(self.core, self._model_for_tools, self)
            self.documents.conversation_created.connect(self._show_new_conversation)
        self.documents.show()
        self.documents.raise_()
        self.documents.activateWindow()
        if path is not None:
            self.documents.open_path(path)
        return self.documents

    def _show_new_conversation(self, conversation_id: int) -> None:
        self.refresh_conversations()
        self.open_conversation(conversation_id)
        self.raise_()
        self.activateWindow()

    def open_feedback(self) -> FeedbackDialog:
        if self.feedback is None:
            self.feedback = FeedbackDialog(self.core, self._model_for_tools, self)
        self.feedback.show()
        self.feedback.raise_()
        return self.feedback

    # -- a .gguf dropped on the window is imported; a document opens in Documents ----------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if gguf_paths(event) or document_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths, documents = gguf_paths(event), document_paths(event)
        if paths:
            self.models_ui.open(INSTALLED).import_files(paths)
            event.acceptProposedAction()
        elif documents:
            self.open_documents(documents[0])
            event.acceptProposedAction()

    # -- conversations ---------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self.sidebar.set_conversations(self.core.history.list_conversations(), self.conversation_id)

    def open_conversation(self, conversation_id: int, focus_id: int | None = None) -> None:
        self._flush_tokens()
        self.conversation_id = conversation_id
        history = self.core.history
        messages = history.messages(conversation_id)
        streaming_here = self._job is not None and conversation_id == self._stream_conversation
        stream_text = {self._stream_message_id: self._stream_text} if streaming_here else {}
        self.chat_view.set_messages(messages, history.alternatives(conversation_id), focus_id, stream_text)
        left_out_in, left_out = self._left_out
        self.chat_view.show_left_out(left_out if left_out_in == conversation_id else 0)
        self._stream_bubble = None
        if streaming_here and self._stream_message_id is not None:
            self.chat_view.render_all_after()
            self._stream_bubble = self.chat_view.bubble_for(self._stream_message_id)
        self.sidebar.select(conversation_id)
        self.cancel_edit(keep_text=True)
        if focus_id is None:
            self.input.setFocus()

    def open_hit(self, conversation_id: int, message_id: int) -> None:
        """Open a search hit, on the branch that holds it, scrolled to it."""
        if message_id not in {m.id for m in self.core.history.messages(conversation_id)}:
            if self._busy_in(conversation_id):
                return
            self.core.history.switch_branch(message_id)
        self.open_conversation(conversation_id, focus_id=message_id)

    def new_chat(self) -> None:
        self.conversation_id = None
        self._new_setup = {}
        self.chat_view.clear()
        self._stream_bubble = None
        self.sidebar.select(None)
        self.cancel_edit(keep_text=True)
        self.input.setFocus()

    def search(self, text: str) -> None:
        if text.strip():
            self.sidebar.show_hits(text, self.core.history.search(text))
        else:
            self.sidebar.end_search()
            self.refresh_conversations()

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        try:
            self.core.history.rename_conversation(conversation_id, title)
        except UserError as exc:
            self.statusBar().showMessage(exc.message, 5000)
        self.refresh_conversations()

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self.core.history.update_conversation(conversation_id, pinned=pinned)
        self.refresh_conversations()

    def toggle_pin(self) -> None:
        if self.conversation_id is not None:
            pinned = self.core.history.get_conversation(self.conversation_id).pinned
            self.set_pinned(self.conversation_id, not pinned)

    def delete_conversation(self, conversation_id: int) -> None:
        if self._busy_in(conversation_id):
            return
        self.core.history.trash_conversation(conversation_id)
        self._trashed = conversation_id
        if conversation_id == self.conversation_id:
            self.new_chat()
        self.refresh_conversations()
        title = self.core.history.get_conversation(conversation_id).title or "Untitled"
        self.statusBar().showMessage(f"Deleted “{title}”. Ctrl+Z brings it back.", UNDO_MS)
        self.undo_button.setVisible(True)
        self._undo_timer.start(UNDO_MS)

    def undo_delete(self) -> None:
        if self._trashed is None:
            return
        conversation_id = self._trashed
        self.core.history.restore_conversation(conversation_id)
        self._forget_undo()
        self.statusBar().clearMessage()
        self.refresh_conversations()
        self.open_conversation(conversation_id)

    def _forget_undo(self) -> None:
        self._trashed = None
        self.undo_button.setVisible(False)

    def conversation_settings(self, conversation_id: int | None) -> None:
        conversation = (self.core.history.get_conversation(conversation_id)
                        if conversation_id is not None else None)
        dialog = ConversationSettingsDialog(self.core.settings, conversation,
                                            self._new_setup if conversation is None else None, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.apply_conversation_settings(conversation_id, dialog.values())

    def apply_conversation_settings(self, conversation_id: int | None, values: dict) -> None:
        if conversation_id is None:
            self._new_setup = values
            self.statusBar().showMessage("Settings saved for the new conversation.", 4000)
        else:
            self.core.history.update_conversation(conversation_id, **values)
            self.statusBar().showMessage("Settings saved for this conversation.", 4000)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.core.settings, self.core.registry.installed() + self._remote_models(), self,
                                has_token=hub_token.get_token() is not None,
                                api_key=get_secret(API_KEY_ACCOUNT) or "")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            set_secret(API_KEY_ACCOUNT, dialog.api_key.text())
            self.apply_settings(dialog.result_settings())
            self.apply_token(dialog.token_change())

    def _remote_models(self) -> list[ModelRef]:
        return [self.core.resolve_model(c.name) for c in self.core.remote_models.list()]

    def open_remote_models(self) -> None:
        dialog = RemoteModelsDialog(self.core.remote_models, self)
        dialog.exec()
        if dialog.changed and self.model is not None and self.model.is_remote:
            self.start_loading()

    def _model_for_tools(self) -> ModelRef:
        """The model for the writing tools; a remote one only once the user agreed to send."""
        model = self._require_model()
        if not self._confirm_remote():
            raise UserError("Nothing was sent: the model is remote and you chose not to send.")
        return model

    def _confirm_remote(self) -> bool:
        """Before the first message to a remote model: the text will leave this computer."""
        model = self.model
        if model is None or not model.is_remote or model.name in self._remote_confirmed:
            return True
        host = self.core.remote_config(model.name)[0].host
        answer = QMessageBox.question(
            self, "Send to a remote model?",
            f"{model.name} is a remote model: your message and the conversation so far are sent to {host} "
            "and leave this computer. Send?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self._remote_confirmed.add(model.name)
            return True
        return False

    def apply_token(self, token: str | None) -> None:
        """Store (or forget, with "") the Hugging Face token in the keyring."""
        if token is None:
            return
        if hub_token.set_token(token or None) or not token:
            self.statusBar().showMessage("Hugging Face token saved." if token else "Token forgotten.", 4000)
        else:
            QMessageBox.information(
                self, "Token kept for this session",
                "No system keyring is available, so the Hugging Face token is kept only until you "
                "quit. (It is never written to the settings file.) Set HF_TOKEN to use it every time.")

    def apply_settings(self, new) -> None:
        """Store new defaults; reload the model if the model or context changed."""
        old = self.core.settings
        reload = ((new.default_model, new.n_ctx, new.gpu_mode, new.n_gpu_layers)
                  != (old.default_model, old.n_ctx, old.gpu_mode, old.n_gpu_layers))
        for key, value in asdict(new).items():  # core objects share this Settings instance
            setattr(old, key, value)
        try:
            self.core.save_settings()
        except OSError as exc:
            QMessageBox.warning(self, "Settings not saved", f"The settings could not be saved: {exc}")
            return
        self.theme.apply(old.theme, old.font_size)
        self.api_ui.sync()
        if reload:
            self.start_loading()

    # -- message actions -------------------------------------------------------------------
    def _busy_in(self, conversation_id: int | None) -> bool:
        if self._job is not None and conversation_id == self._stream_conversation:
            self.statusBar().showMessage(BUSY, 4000)
            return True
        return False

    def _act_on_last(self, name: str) -> None:
        if self.conversation_id is None:
            return
        role = "user" if name == "edit" else "assistant"
        last = next((m for m in reversed(self.core.history.messages(self.conversation_id))
                     if m.role == role), None)
        if last is not None:
            if name == "copy":
                QApplication.clipboard().setText(last.content)
            self.on_message_action(name, last.id)

    def on_message_action(self, name: str, message_id: int) -> None:
        history = self.core.history
        if name in ("copy", "copied-code"):
            self.statusBar().showMessage("Copied to the clipboard.", 3000)
            return
        message = history.get_message(message_id)
        if name == "details":
            QMessageBox.information(self, "Message details", details_text(message))
            return
        if self._busy_in(message.conversation_id) or (self._job is not None and name in
                                                      ("regenerate", "continue")):
            self.statusBar().showMessage(BUSY, 4000)
            return
        if name in ("previous", "next"):
            ids = history.alternatives(message.conversation_id)[message_id]
            step = -1 if name == "previous" else 1
            index = ids.index(message_id) + step
            if 0 <= index < len(ids):
                history.switch_branch(ids[index])
                self.open_conversation(message.conversation_id, focus_id=ids[index])
        elif name == "edit":
            self._editing_id = message_id
            self.input.setPlainText(message.content)
            self.edit_banner.setVisible(True)
            self.input.setFocus()
        elif name in ("regenerate", "continue"):
            start = self.core.chat.regenerate if name == "regenerate" else self.core.chat.continue_reply
            self._start_job(lambda: start(message_id, self._require_model(),
                                          listener=self._chat_bridge.deliver))

    def cancel_edit(self, keep_text: bool = False) -> None:
        """Leave edit mode; the text stays in the input as a draft when asked."""
        if self._editing_id is not None:
            self._editing_id = None
            if not keep_text:
                self.input.clear()
        self.edit_banner.setVisible(False)

    # -- sending -----------------------------------------------------------------------
    def _require_model(self) -> ModelRef:
        if self.model is None:
            raise UserError("No model is available. Choose one in Settings (Ctrl+,).")
        return self.model

    def send(self) -> None:
        text = self.input.toPlainText()
        if not text.strip():
            return
        if self._job is not None:
            self.statusBar().showMessage(BUSY, 4000)
            return
        if not self._confirm_remote():
            return
        editing = self._editing_id
        if editing is not None:
            started = self._start_job(lambda: self.core.chat.edit(
                editing, text, self._require_model(), listener=self._chat_bridge.deliver))
        else:
            started = self._start_job(lambda: self.core.chat.send(
                text, self._require_model(), self.conversation_id, listener=self._chat_bridge.deliver,
                new_conversation=self._new_setup))
        if started:
            self._editing_id = None
            self.edit_banner.setVisible(False)
            self.input.clear()
        self.input.setFocus()

    def _start_job(self, submit) -> bool:
        """Submit a chat job; show what was stored and a placeholder for the reply."""
        try:
            self._job = submit()
        except UserError as exc:
            self.chat_view.add("notice", exc.message)
            return False
        self._stream_conversation = self._job.info["conversation_id"]
        self._stream_message_id = None
        self._pending_text = self._stream_text = ""
        self.conversation_id = self._stream_conversation
        self.refresh_conversations()
        self.open_conversation(self.conversation_id)
        shown = self.chat_view.bubbles()[-1:]
        if shown and shown[0].role == "assistant" and shown[0].status == "streaming":
            self._stream_bubble = shown[0]  # the job was quick: its reply is stored and shown already
        else:
            self._stream_bubble = self.chat_view.add("assistant", "", "streaming")
        self._flush_timer.start()
        self._update_controls()
        return True

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()
        elif self._editing_id is not None:
            self.cancel_edit()
        elif self.sidebar.searching and self.sidebar.search_box.hasFocus():
            self.sidebar.search_box.clear()
            self.input.setFocus()

    def _on_started(self, info: dict) -> None:
        turn = info["turn"]
        message = turn.message
        self._stream_message_id = message.id
        self._stream_text = message.content  # a continued reply starts with its old text
        self._pending_text = ""
        self._left_out = (self._stream_conversation, turn.left_out)
        if self.conversation_id == self._stream_conversation:
            shown = self.chat_view.message_ids()
            if message.parent_id is not None and shown and shown[-1] == message.parent_id:
                # The usual case, a reply after the last message: no need to rebuild the view.
                if self._stream_bubble is not None:
                    self.chat_view.remove(self._stream_bubble)
                self._stream_bubble = self.chat_view.add_message(message)
                self.chat_view.show_left_out(self._left_out[1])
            else:  # a new version or a continued reply: show its branch
                self.open_conversation(self._stream_conversation)
        self.refresh_conversations()

    def _on_token(self, text: str) -> None:
        self._pending_text += text

    def _flush_tokens(self) -> None:
        if not self._pending_text:
            return
        self._stream_text += self._pending_text
        if self._stream_bubble is not None and self._stream_message_id is not None:
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
        self._stream_bubble = None
        self.progress_bar.setVisible(False)
        self._update_controls()

    def _on_finished(self, result: TurnResult) -> None:
        self._end_stream()
        stats = result.stats
        self.speed_label.setText(
            f"{stats.tokens_per_second:.1f} tokens/s · {stats.completion_tokens} tokens"
        )
        self._show_final(result.conversation_id, result.message_id)

    def _on_failed(self, message: str, detail: str) -> None:
        self._end_stream()
        conversation_id, message_id = self._stream_conversation, self._stream_message_id
        self._show_final(conversation_id, message_id)
        self.chat_view.add("notice", message)

    def _show_final(self, conversation_id: int | None, message_id: int | None) -> None:
        """Show the stored reply (Markdown, its actions) in place of the streamed text."""
        self._stream_message_id = None
        if conversation_id == self.conversation_id and conversation_id is not None:
            if message_id is None or self.chat_view.replace_message(
                    self.core.history.get_message(message_id),
                    self.core.history.alternatives(conversation_id)) is None:
                self.open_conversation(conversation_id)
        self.refresh_conversations()

    def _update_controls(self) -> None:
        busy = self._job is not None
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the reply (the host saves it as stopped), stop listening, empty the trash.
        Unsaved document work is asked about first; Cancel keeps the app open."""
        if self.documents is not None and self.documents.isVisible() and not self.documents.close():
            event.ignore()
            return
        self.stop()
        self._flush_tokens()
        self._flush_timer.stop()
        self._chat_bridge.blockSignals(True)
        self._load_bridge.blockSignals(True)
        self.models_ui.close()
        self.api_ui.stop()
        for window in (self.workspace, self.feedback):
            if window is not None:
                window.close()
        try:
            self.core.history.empty_trash()
        except UserError:
            pass
        super().closeEvent(event)
