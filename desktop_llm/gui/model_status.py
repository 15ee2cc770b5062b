"""Loading the model in the worker, and what the status bar says about it."""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop_llm.core.errors import UserError
from desktop_llm.core.host import LoadedModel
from desktop_llm.core.models import ModelRef
from desktop_llm.gui.common.bridge import JobBridge
from desktop_llm.gui.shell import Shell


class ModelStatus(QObject):
    def __init__(self, window: Shell):
        super().__init__(window.window())
        self.window = window
        self.model: ModelRef | None = None
        self.ready = False
        self._gpu_notice_shown = False  # said once per session, not per load
        self.bridge = JobBridge(self)
        self.bridge.progress.connect(window.show_progress)
        self.bridge.finished.connect(self._on_loaded)
        self.bridge.failed.connect(self._on_failed)

    def start_loading(self, model_name: str | None = None) -> None:
        """Load the model in the worker; the window is already usable."""
        try:
            self.model = self.window.core.resolve_model(model_name)
        except UserError as exc:
            self._on_failed(exc.message, exc.detail)
            return
        self.ready = False
        self.window.header.model_picker.show_current(self.model.name)
        self.window.model_label.setText(f"Loading {self.model.name}…")
        self.window.input.set_hint("The model is loading — you can type already.")
        self.window.core.host.load(self.model, listener=self.bridge.deliver)

    def _on_loaded(self, loaded: LoadedModel) -> None:
        self.ready = True
        window = self.window
        window.progress_bar.setVisible(False)
        info = loaded.info
        if loaded.model.is_remote:
            window.model_label.setText(f"☁ {loaded.model.name}  ·  {loaded.device}  ·  text leaves this computer")
        else:
            window.model_label.setText(
                f"{loaded.model.name}  ·  {info.parameters_text} {info.quantization}  ·  {loaded.device}")
        window.model_label.setToolTip(f"{info.name}\n{info.architecture}, context {info.context_length} tokens\n"
                                      f"{info.path}")
        window.input.set_hint("Message the assistant — Enter sends, Shift+Enter for a new line")
        if loaded.notice and not self._gpu_notice_shown:
            self._gpu_notice_shown = True
            window.chat_view.add("notice", loaded.notice)

    def _on_failed(self, message: str, _detail: str) -> None:
        self.window.progress_bar.setVisible(False)
        self.window.model_label.setText("No model loaded")
        self.window.chat_view.add("notice", message)
