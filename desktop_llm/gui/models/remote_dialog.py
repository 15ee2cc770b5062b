"""Remote models: OpenAI-compatible servers (hosted services, Ollama, LM
Studio, a llama.cpp server, another copy of this app) used as models."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QVBoxLayout,
)

from desktop_llm.core.errors import UserError
from desktop_llm.gui.common.widgets import MessageLine, button, named


class RemoteModelsDialog(QDialog):
    def __init__(self, remote_models, parent=None):
        super().__init__(parent)
        self.remote_models = remote_models
        self.changed = False
        self.setWindowTitle("Remote models")
        self.setAccessibleName("Remote models")
        note = QLabel("Text you send to a remote model leaves this computer. The app marks remote models with ☁ "
                      "and asks before the first message. API keys are kept in the system keyring.")
        note.setWordWrap(True)
        self.list = named(QListWidget(), "Remote models", "Configured servers")
        self.name = named(QLineEdit(), "Name", "A short name for the model list")
        self.url = named(QLineEdit(), "Base URL", "Usually ends in /v1, e.g. http://127.0.0.1:11434/v1")
        self.url.setPlaceholderText("https://api.example.com/v1")
        self.model = named(QLineEdit(), "Model", "The model name the server expects")
        self.key = named(QLineEdit(), "API key", "Optional; kept in the system keyring")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.context = named(QSpinBox(), "Context size", "The model's context, in tokens")
        self.context.setRange(512, 1_000_000)
        self.context.setValue(8192)
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("Base &URL:", self.url)
        form.addRow("&Model:", self.model)
        form.addRow("API &key:", self.key)
        form.addRow("&Context:", self.context)
        self.message = MessageLine()
        buttons = QHBoxLayout()
        self.remove_button = button("&Remove", "Remove the selected remote model and its key", self.remove)
        self.remove_button.setAutoDefault(False)  # Enter never removes: it adds what the form holds
        self.add_button = button("&Add", "Add (or update) this remote model", self.add)
        self.add_button.setDefault(True)
        close = button("Close", "Close this window", self.accept)
        close.setAutoDefault(False)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(close)
        self.list.currentRowChanged.connect(lambda row: self.remove_button.setEnabled(row >= 0))
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(560, 460)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for c in self.remote_models.list():
            self.list.addItem(f"☁ {c.name} — {c.model} at {c.base_url}")
        self.remove_button.setEnabled(self.list.currentRow() >= 0)  # nothing chosen: nothing to remove

    def add(self) -> None:
        try:
            kept = self.remote_models.add(self.name.text(), self.url.text(), self.model.text(),
                                          self.key.text() or None, self.context.value())
        except UserError as exc:
            self.message.say(exc.message, error=True)
            return
        self.changed = True
        self.message.say(f"Added {self.name.text().strip()}." + ("" if kept else
                         " No system keyring is available: the key is kept until you quit."))
        self.key.clear()
        self.refresh()

    def remove(self) -> None:
        row = self.list.currentRow()
        configs = self.remote_models.list()
        if 0 <= row < len(configs):
            self.remote_models.remove(configs[row].name)
            self.changed = True
            self.message.say(f"Removed {configs[row].name}.")
            self.refresh()
