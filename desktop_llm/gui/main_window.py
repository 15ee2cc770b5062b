"""The main window: a shell around the sidebar and the chat.

Model work goes through core (ChatService via the ChatSession, ModelHost via
ModelStatus); this module lays out the parts, shows the open conversation
and turns the session's signals into what the chat view shows.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.app import AppCore
from desktop_llm.core.errors import UserError
from desktop_llm.core.models import ModelRef
from desktop_llm.gui.api_server_ui import ApiServerUi
from desktop_llm.gui.chat.header import ChatHeader, EditBanner
from desktop_llm.gui.chat.input_box import InputBox
from desktop_llm.gui.chat.library_choice import LibraryChoice
from desktop_llm.gui.chat.message_actions import BUSY, MessageActions
from desktop_llm.gui.chat.session import ChatSession
from desktop_llm.gui.chat.turn_display import TurnDisplay
from desktop_llm.gui.chat.view import ChatView
from desktop_llm.gui.common.application import application
from desktop_llm.gui.common.theme import ThemeKeeper
from desktop_llm.gui.common.widgets import button
from desktop_llm.gui.documents.window import document_paths
from desktop_llm.gui.library.keeper import LibraryKeeper
from desktop_llm.gui.main_menus import build_menus
from desktop_llm.gui.model_status import ModelStatus
from desktop_llm.gui.models.installed import gguf_paths
from desktop_llm.gui.models.ui import ModelsUi
from desktop_llm.gui.models.window import INSTALLED
from desktop_llm.gui.settings_ui import SettingsUi
from desktop_llm.gui.sidebar.conversation_actions import ConversationActions
from desktop_llm.gui.sidebar.conversation_files import ConversationFiles
from desktop_llm.gui.sidebar.conversation_list import ConversationSidebar
from desktop_llm.gui.tool_windows import ToolWindows


class MainWindow(QMainWindow):
    def __init__(self, core: AppCore, parent=None):
        super().__init__(parent)
        self.core = core
        self.conversation_id: int | None = None
        self.session = ChatSession(core, self)
        self.session.progress.connect(self.show_progress)
        self.session.reply_started.connect(self._waited)
        self.session.reply_failed.connect(self._waited)
        self.session.busy_changed.connect(self._update_controls)
        self.tools = ToolWindows(core, self._model_for_tools, self, self._show_new_conversation)
        self.settings_ui = SettingsUi(self)

        self.setWindowTitle("desktop-llm")
        self.resize(1000, 700)
        self.theme = ThemeKeeper(application())
        self.theme.apply(core.settings.theme, core.settings.font_size)
        self.files = ConversationFiles(self)
        self.conversations = ConversationActions(self)
        self.undo_button = self.conversations.undo_button
        self.messages = MessageActions(self)
        self._build_widgets()
        self.model_status = ModelStatus(self)
        self.menu_keys = build_menus(self)
        self.setAcceptDrops(True)
        core.begin_window_session()
        self.library_keeper = LibraryKeeper(self)
        self.refresh_conversations()
        self.conversations.reopen_last()
        self._update_controls(False)

    # -- layout ------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.sidebar = ConversationSidebar()
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.conversation_chosen.connect(lambda cid: self.open_conversation(cid, take_focus=False))
        self.sidebar.hit_chosen.connect(self.open_hit)
        self.sidebar.search_changed.connect(self.search)
        self.sidebar.rename_requested.connect(self.conversations.rename)
        self.sidebar.pin_requested.connect(self.conversations.set_pinned)
        self.sidebar.delete_requested.connect(self.conversations.delete)
        self.sidebar.export_requested.connect(self.files.export_dialog)
        self.sidebar.settings_requested.connect(self.conversations.edit_settings)
        self.conversation_list = self.sidebar.list

        main = self.chat_column = QWidget()
        col = QVBoxLayout(main)
        col.setContentsMargins(0, 6, 6, 6)
        self.chat_view = ChatView()
        self.chat_view.action.connect(self.messages.run)
        self.edit_banner = EditBanner(self.cancel_edit)
        self.input = self.sidebar.type_into = InputBox()
        self.input.submitted.connect(self.send)
        self.send_button = button("Send", "Send the message (Enter)", self.send)
        self.stop_button = button("Stop", "Stop the reply (Esc)", self.stop)
        self.library_choice = LibraryChoice(self.core, lambda: self.conversations.new_setup)
        self.library_choice.said.connect(lambda text, failed: self.statusBar().showMessage(text, 15000 if failed
                                                                                           else 8000))
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.library_choice)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addLayout(buttons)
        self.header = ChatHeader(self)
        col.addWidget(self.header)
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
        self.statusBar().addWidget(self.model_label)
        self.models_ui = ModelsUi(self)  # adds its downloads indicator to the status bar
        self.api_ui = ApiServerUi(self)  # and the API server's
        self.statusBar().addPermanentWidget(self.undo_button)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.turns = TurnDisplay(self, self.speed_label)
        self.input.setFocus()

    def show_progress(self, done: int, total: int, label: str) -> None:
        """A step of the model's work; with no total, a wait for the model (shown until the work starts)."""
        waiting = total == 0
        self.progress_bar.setVisible(done < total or waiting)
        self.progress_bar.setMaximum(total)  # 0: a busy bar
        self.progress_bar.setValue(done)
        self.statusBar().showMessage(label, 0 if waiting else 3000)

    def _waited(self, *_) -> None:
        """The reply began: a message that it waited goes."""
        if self.statusBar().currentMessage().startswith("Waiting"):
            self.statusBar().clearMessage()
            self.progress_bar.setVisible(False)

    # -- the model, settings and the tool windows (their own modules do the work) ------------
    @property
    def model(self) -> ModelRef | None:
        return self.model_status.model

    def start_loading(self, model_name: str | None = None) -> None:
        self.model_status.start_loading(model_name)

    def require_model(self) -> ModelRef:
        if self.model is None:
            raise UserError("No model is available. Choose one in Settings (Ctrl+,).")
        return self.model

    def _model_for_tools(self) -> ModelRef:
        """The model for the writing tools; a remote one only once the user agreed to send."""
        model = self.require_model()
        if not self.session.confirm_remote(model):
            raise UserError("Nothing was sent: the model is remote and you chose not to send.")
        return model

    def _show_new_conversation(self, conversation_id: int) -> None:
        self.refresh_conversations()
        self.open_conversation(conversation_id)
        self.raise_()
        self.activateWindow()

    # -- a .gguf dropped on the window is imported; a document opens in Documents, or, dropped
    # on the conversation, is what it answers from ---------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if gguf_paths(event) or document_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths, documents = gguf_paths(event), document_paths(event)
        if paths:
            self.models_ui.open(INSTALLED).import_files(paths)
            event.acceptProposedAction()
        elif len(documents) == 1 and self._over_chat(event):  # into the conversation: answers come from it
            self.library_choice.answer_from_file(documents[0])
            event.acceptProposedAction()
        elif documents:
            self.tools.open_documents(documents[0])
            event.acceptProposedAction()

    def _over_chat(self, event: QDropEvent) -> bool:
        column = self.chat_column
        return QRect(column.mapTo(self, QPoint(0, 0)), column.size()).contains(event.position().toPoint())

    # -- conversations ---------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self.sidebar.set_conversations(self.core.history.list_conversations(), self.conversation_id)

    def open_conversation(self, conversation_id: int, focus_id: int | None = None, take_focus: bool = True) -> None:
        session = self.session
        session.flush()
        self.conversation_id = conversation_id
        history = self.core.history
        streaming_here = session.busy_in(conversation_id)
        stream_text = {session.message_id: session.text} if streaming_here and session.message_id else {}
        self.chat_view.set_messages(history.messages(conversation_id), history.alternatives(conversation_id),
                                    focus_id, stream_text)
        left_out_in, left_out = session.left_out
        self.chat_view.show_left_out(left_out if left_out_in == conversation_id else 0)
        self.turns.bubble = None
        if streaming_here and session.message_id is not None:
            self.chat_view.render_all_after()
            self.turns.bubble = self.chat_view.bubble_for(session.message_id)
        self.sidebar.select(conversation_id)
        self.library_choice.show_for(conversation_id)
        self.header.show_for(conversation_id)
        self.cancel_edit(keep_text=True)
        if focus_id is None and take_focus:
            self.input.setFocus()

    def open_hit(self, conversation_id: int, message_id: int) -> None:
        """Open a search hit, on the branch that holds it, scrolled to it."""
        if message_id not in {m.id for m in self.core.history.messages(conversation_id)}:
            if self.busy_in(conversation_id):
                return
            self.core.history.switch_branch(message_id)
        self.open_conversation(conversation_id, focus_id=message_id)

    def new_chat(self) -> None:
        self.conversation_id = None
        self.conversations.new_setup = {}
        self.library_choice.show_for(None)
        self.header.show_for(None)
        self.chat_view.clear()
        self.turns.bubble = None
        self.sidebar.select(None)
        self.cancel_edit(keep_text=True)
        self.input.setFocus()

    def search(self, text: str) -> None:
        if text.strip():
            self.sidebar.show_hits(text, self.core.history.search(text))
        else:
            self.sidebar.end_search()
            self.refresh_conversations()

    # -- message actions -------------------------------------------------------------------
    def busy_in(self, conversation_id: int | None) -> bool:
        """True (and says so) when a reply is being written in that conversation."""
        if self.session.busy_in(conversation_id):
            self.statusBar().showMessage(BUSY, 4000)
            return True
        return False

    def cancel_edit(self, keep_text: bool = False) -> None:
        self.messages.cancel_edit(keep_text)

    # -- sending -----------------------------------------------------------------------
    def send(self) -> None:
        text = self.input.toPlainText()
        if not text.strip():
            return
        if self.session.busy:
            self.statusBar().showMessage(BUSY, 4000)
            return
        if not self.session.confirm_remote(self.model):
            return
        editing = self.messages.editing_id
        if editing is not None:
            started = self.start_turn(lambda: self.session.edit(editing, text, self.require_model()))
        else:
            sources = self.library_choice.sources_for(text)
            started = self.start_turn(lambda: self.session.send(text, self.require_model(), self.conversation_id,
                                                                self.conversations.new_setup, sources))
        if started:
            self.messages.editing_id = None
            self.edit_banner.setVisible(False)
            self.input.clear()
        self.input.setFocus()

    def start_turn(self, start) -> bool:
        try:
            start()
        except UserError as exc:
            self.chat_view.add("notice", exc.message)
            return False
        return True

    def stop(self) -> None:
        if self.session.busy:
            self.session.stop()
        elif self.messages.editing_id is not None:
            self.cancel_edit()
        elif self.sidebar.searching and self.sidebar.search_box.hasFocus():
            self.sidebar.search_box.clear()
            self.input.setFocus()

    def _update_controls(self, busy: bool) -> None:
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the reply (the host saves it as stopped), stop listening, empty the trash.
        Unsaved document work is asked about first; Cancel keeps the app open."""
        if not self.tools.close_all():
            event.ignore()
            return
        self.session.shutdown()
        self.library_keeper.stop()
        self.model_status.bridge.blockSignals(True)
        self.models_ui.close()
        self.api_ui.stop()
        try:
            self.core.end_window_session()
        except UserError:
            pass
        super().closeEvent(event)
