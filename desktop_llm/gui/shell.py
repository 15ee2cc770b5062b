"""What the parts of the main window may use of it, as a Protocol: the
parts (conversation actions, message actions, model status, settings) take
the window as a Shell, so none of them imports the window's module."""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from desktop_llm.core.app import AppCore
from desktop_llm.core.models import ModelRef
from desktop_llm.gui.api_server_ui import ApiServerUi
from desktop_llm.gui.chat.header import ChatHeader, EditBanner
from desktop_llm.gui.chat.input_box import InputBox
from desktop_llm.gui.chat.session import ChatSession
from desktop_llm.gui.chat.view import ChatView
from desktop_llm.gui.common.theme import ThemeKeeper


class Shell(Protocol):
    core: AppCore
    conversation_id: int | None
    session: ChatSession
    chat_view: ChatView
    input: InputBox
    edit_banner: EditBanner
    header: ChatHeader
    model_label: QLabel
    progress_bar: QProgressBar
    theme: ThemeKeeper
    api_ui: ApiServerUi

    @property
    def model(self) -> ModelRef | None: ...

    def window(self) -> QWidget: ...  # the parent of the dialogs a part opens

    def statusBar(self) -> QStatusBar: ...

    def refresh_conversations(self) -> None: ...

    def open_conversation(self, conversation_id: int, focus_id: int | None = None) -> None: ...

    def new_chat(self) -> None: ...

    def busy_in(self, conversation_id: int | None) -> bool: ...

    def require_model(self) -> ModelRef: ...

    def start_turn(self, start: Callable[[], None]) -> bool: ...

    def start_loading(self, model_name: str | None = None) -> None: ...

    def show_progress(self, done: int, total: int, label: str) -> None: ...
