"""Above the chat: the model that answers, to switch with two clicks (installed
and remote models), and a note when the conversation has its own system
prompt. Below it: the banner shown while a message is edited."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from desktop_llm.core.errors import NotFound
from desktop_llm.gui.common.widgets import button, named

REMOTE_MARK = "☁ "
PROMPT_PREVIEW = 60


class ModelPicker(QComboBox):
    """The models to answer with; the list is read again each time it opens."""

    def __init__(self, window):
        super().__init__()
        self.shell = window
        named(self, "Model", "The model that answers (Ctrl+Shift+M for the installed models)")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.activated.connect(self._on_chosen)
        self.fill()

    def current(self) -> str:
        status = getattr(self.shell, "model_status", None)  # made after the window's widgets
        return status.model.name if status is not None and status.model is not None else ""

    def fill(self) -> None:
        core = self.shell.core
        current = self.current()
        self.blockSignals(True)
        self.clear()
        for model in core.registry.installed():
            self.addItem(model.name, model.name)
        for remote in core.remote_models.list():
            self.addItem(REMOTE_MARK + remote.name, remote.name)
        if current and self.findData(current) < 0:
            self.addItem(current, current)
        self.setCurrentIndex(max(0, self.findData(current)))
        self.blockSignals(False)

    def show_current(self, name: str) -> None:
        index = self.findData(name)
        if index < 0:
            self.fill()
            index = self.findData(name)
        self.blockSignals(True)
        self.setCurrentIndex(index)
        self.blockSignals(False)

    def showPopup(self) -> None:
        self.fill()  # a download or a remote model added meanwhile is there
        super().showPopup()

    def _on_chosen(self, index: int) -> None:
        name = self.itemData(index)
        if name and name != self.current():
            self.shell.models_ui.use_model(name)


class ChatHeader(QWidget):
    def __init__(self, window):
        super().__init__()
        self.shell = window
        self.model_picker = ModelPicker(window)
        self.prompt_note = QLabel()
        self.prompt_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.prompt_note.setAccessibleName("System prompt of this conversation")
        self.prompt_note.setVisible(False)
        self.prompt_button = button("Change…", "This conversation's settings: system prompt, temperature "
                                    "(Ctrl+Shift+S)",
                                    lambda: window.conversations.edit_settings(window.conversation_id))
        self.prompt_button.setVisible(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(QLabel("Model:"))
        row.addWidget(self.model_picker)
        row.addStretch(1)
        row.addWidget(self.prompt_note)
        row.addWidget(self.prompt_button)

    def show_for(self, conversation_id: int | None) -> None:
        """Say whether the conversation on screen has a system prompt of its own; remember it for the next start."""
        core = self.shell.core
        prompt = ""
        if conversation_id is not None:
            try:
                prompt = core.history.get_conversation(conversation_id).system_prompt or ""
            except NotFound:
                prompt = ""
        default = core.settings.system_prompt or ""
        own = bool(prompt.strip()) and prompt.strip() != default.strip()
        if own:
            preview = " ".join(prompt.split())
            preview = preview if len(preview) <= PROMPT_PREVIEW else preview[:PROMPT_PREVIEW - 1] + "…"
            self.prompt_note.setText(f"Own system prompt: “{preview}”")
            self.prompt_note.setToolTip(prompt)
        self.prompt_note.setVisible(own)
        self.prompt_button.setVisible(own)
        core.remember_conversation(conversation_id)


class EditBanner(QWidget):
    """Shown while a message is edited: what Enter does, and the way out."""

    def __init__(self, cancel):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(QLabel("Editing a message — Enter sends it as a new version; the old one is kept."), 1)
        row.addWidget(button("Cancel edit", "Stop editing and keep the message as it was (Esc)", cancel))
        self.setVisible(False)
