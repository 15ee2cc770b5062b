"""The chat's side of the model host: one turn at a time.

ChatSession starts turns through core's ChatService (a new message, an
edit, a regenerated or continued reply), asks once per remote model before
text leaves the computer, coalesces streamed tokens, and tells the window
what happens with one typed signal per state. It draws nothing.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_llm.core.app import AppCore
from desktop_llm.core.chat import TurnResult, TurnStarted
from desktop_llm.core.errors import UserError
from desktop_llm.core.host import Job, Listener
from desktop_llm.core.models import ModelRef
from desktop_llm.gui.common.bridge import JobBridge

FLUSH_MS = 30  # streamed text reaches the view at most this often


class ChatSession(QObject):
    turn_submitted = Signal(int)  # conversation id: the user's part is stored
    reply_started = Signal(object)  # TurnStarted: the reply's stored row
    text_arrived = Signal(str)  # streamed text since the last signal
    progress = Signal(int, int, str)  # loading the model, reading the prompt
    reply_finished = Signal(object)  # TurnResult: the reply as stored at the end
    reply_failed = Signal(str, bool)  # what to tell the user; whether a reply had started
    busy_changed = Signal(bool)

    def __init__(self, core: AppCore, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self.core = core
        self._dialog_parent = dialog_parent
        self.bridge = JobBridge(self)
        self.bridge.started.connect(self._on_started)
        self.bridge.token.connect(self._on_token)
        self.bridge.progress.connect(self.progress)
        self.bridge.finished.connect(self._on_finished)
        self.bridge.failed.connect(self._on_failed)
        self.job: Job | None = None
        self.conversation_id: int | None = None  # of the turn running now
        self.message_id: int | None = None  # the reply being written
        self.text = ""  # the whole reply so far
        self.left_out: tuple[int | None, int] = (None, 0)  # turns the last reply could not see
        self._pending = ""  # tokens not yet passed on
        self._started = False
        self._confirmed: set[str] = set()  # remote models the user agreed to send to
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)

    @property
    def busy(self) -> bool:
        return self.job is not None

    def busy_in(self, conversation_id: int | None) -> bool:
        return self.job is not None and conversation_id == self.conversation_id

    # -- starting a turn ------------------------------------------------------------------
    def send(self, text: str, model: ModelRef, conversation_id: int | None, new_setup: dict,
             sources=None) -> None:
        """A turn; `sources` (a function giving passages) grounds the reply in the chosen libraries."""
        self._start(lambda listener: self.core.chat.send(text, model, conversation_id, listener=listener,
                                                         new_conversation=new_setup, sources=sources))

    def edit(self, message_id: int, text: str, model: ModelRef) -> None:
        self._start(lambda listener: self.core.chat.edit(message_id, text, model, listener=listener))

    def regenerate(self, message_id: int, model: ModelRef) -> None:
        self._start(lambda listener: self.core.chat.regenerate(message_id, model, listener=listener))

    def continue_reply(self, message_id: int, model: ModelRef) -> None:
        self._start(lambda listener: self.core.chat.continue_reply(message_id, model, listener=listener))

    def _start(self, submit: Callable[[Listener], Job]) -> None:
        """Submit a turn (raises UserError when it cannot start); the user's part is stored then."""
        if self.job is not None:
            raise UserError("Wait for the reply to finish, or press Esc to stop it.")
        self.job = submit(self.bridge.deliver)
        self.conversation_id = self.job.info["conversation_id"]
        self.message_id = None
        self._pending = self.text = ""
        self._started = False
        self._flush_timer.start()
        self.busy_changed.emit(True)
        self.turn_submitted.emit(self.conversation_id)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def shutdown(self) -> None:
        """The window closes: stop the reply (it is saved as stopped) and stop listening."""
        self.stop()
        self.flush()
        self._flush_timer.stop()
        self.bridge.blockSignals(True)

    # -- consent ------------------------------------------------------------------------------
    def confirm_remote(self, model: ModelRef | None) -> bool:
        """Before the first message to a remote model: the text will leave this computer."""
        if model is None or not model.is_remote or model.name in self._confirmed:
            return True
        found = self.core.remote_config(model.name)
        host = found[0].host if found else model.name
        answer = QMessageBox.question(
            self._dialog_parent, "Send to a remote model?",
            f"{model.name} is a remote model: your message and the conversation so far are sent to {host} "
            "and leave this computer. Send?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self._confirmed.add(model.name)
            return True
        return False

    # -- events of the running turn -------------------------------------------------------------
    def _on_started(self, info: dict) -> None:
        turn: TurnStarted = info["turn"]
        self.message_id = turn.message.id
        self.text = turn.message.content  # a continued reply starts with its old text
        self._pending = ""
        self._started = True
        self.left_out = (self.conversation_id, turn.left_out)
        self.reply_started.emit(turn)

    def _on_token(self, text: str) -> None:
        self._pending += text

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self.text += text
            self.text_arrived.emit(text)

    def _end(self) -> None:
        self.flush()
        self._flush_timer.stop()
        self.job = None
        self.busy_changed.emit(False)

    def _on_finished(self, result: TurnResult) -> None:
        self._end()
        self.message_id = None
        self.reply_finished.emit(result)

    def _on_failed(self, message: str, _detail: str) -> None:
        self._end()
        self.reply_failed.emit(message, self._started)
        self.message_id = None
