"""Measure speed, in the Installed view: what this computer does with the chosen
model (load, prompt reading, first token, writing), run on the model host like
any other request, with Stop while it runs."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.host import Job, ModelHost
from desktop_llm.core.models import ModelRef
from desktop_llm.core.speed_check import SpeedReport, speed_job
from desktop_llm.gui.common.bridge import JobBridge


def speed_text(report: SpeedReport) -> str:
    loaded = f"loaded in {report.load_s:.1f} s, " if report.load_s else ""
    return (f"{report.model} on this computer ({report.device}): {loaded}reads a prompt at "
            f"{report.prompt_tokens_per_s:,.0f} tokens/s, first word after {report.first_token_s:.2f} s, "
            f"writes {report.decode_tokens_per_s:,.1f} tokens/s.")


class SpeedCheck(QObject):
    said = Signal(str, bool)  # what to show; whether it is an error
    running_changed = Signal(bool)

    def __init__(self, host: ModelHost, parent=None):
        super().__init__(parent)
        self.host = host
        self.job: Job | None = None
        self.bridge = JobBridge(self)
        self.bridge.progress.connect(lambda _d, _t, label: self.said.emit(label, False))
        self.bridge.finished.connect(lambda report: self._end(speed_text(report), False))
        self.bridge.failed.connect(lambda message, _detail: self._end(message, True))

    def start(self, model: ModelRef) -> None:
        if self.job is not None:
            return
        self.said.emit(f"Measuring {model.name}: loading it, reading a prompt of about 500 tokens and "
                       "writing 128…", False)
        self.job = speed_job(self.host, model, self.bridge.deliver)
        self.running_changed.emit(True)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _end(self, text: str, error: bool) -> None:
        self.job = None
        self.running_changed.emit(False)
        self.said.emit(text, error)
