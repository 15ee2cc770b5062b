"""Help: the About dialog (version, engine build, the loaded model, data folders,
the licences of what the app ships), Copy diagnostic report, and the dialog a
crash in the window shows instead of vanishing."""

from __future__ import annotations

import html
import logging
import sys
import traceback

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QVBoxLayout

from desktop_llm import __version__
from desktop_llm.core.diagnostics import COMPONENTS, llama_build, log_file, report

log = logging.getLogger(__name__)


def qt_versions() -> dict[str, str]:
    return {"Qt": f"{qVersion()} (PySide6 {pyside_version})"}


def diagnostic_report(core) -> str:
    return report(core, qt_versions())


class AboutDialog(QDialog):
    def __init__(self, core, parent=None):
        super().__init__(parent)
        self.setWindowTitle("About desktop-llm")
        self.core = core
        loaded = core.host.loaded_model if "host" in core.__dict__ else None
        e = html.escape
        licences = "".join(f"<tr><td>{e(name)}</td><td>{e(licence)}</td></tr>" for name, licence in COMPONENTS)
        self.text = QLabel(
            f"<h3>desktop-llm {e(__version__)}</h3>"
            "<p>Private, offline chat and writing assistant: the models run on this computer.</p>"
            f"<p>Engine: {e(llama_build())}<br>Qt {e(qVersion())}<br>"
            f"Model: {e(loaded.name if loaded else 'none loaded yet')}<br>"
            f"Data: {e(str(core.paths.data_dir))}<br>Settings: {e(str(core.paths.config_dir))}<br>"
            f"Log: {e(str(log_file(core.paths.data_dir)))}</p>"
            f"<p><b>Included components and their licences</b></p><table>{licences}</table>")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("&Copy diagnostic report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: copy_report(core))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)


def copy_report(core) -> str:
    """The report on the clipboard (versions, hardware, last errors; nothing the user wrote)."""
    text = diagnostic_report(core)
    QGuiApplication.clipboard().setText(text)
    return text


def install_crash_dialog(core, parent=None) -> None:
    """An error nothing caught, in the window: logged, and shown with the report to copy."""
    def hook(kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.error("unexpected error in the window:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        box = QMessageBox(QMessageBox.Icon.Critical, "desktop-llm: something went wrong",
                          f"The app hit an unexpected error: {value}\n\nWhat you wrote is saved. If it "
                          "happens again, copy the diagnostic report and send it with a description of what "
                          "you did.", QMessageBox.StandardButton.Close, parent)
        copy = box.addButton("Copy diagnostic report", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: copy_report(core))
        box.setDetailedText(diagnostic_report(core))
        box.exec()

    sys.excepthook = hook
