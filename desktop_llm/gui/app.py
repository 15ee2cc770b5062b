"""Start the GUI: show the window first, then load the model in the worker."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox

from desktop_llm import APP_NAME, __version__
from desktop_llm.core.app import AppCore
from desktop_llm.core.errors import UserError
from desktop_llm.core.paths import resources_dir
from desktop_llm.gui.common.application import application
from desktop_llm.gui.main_window import MainWindow


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icon.svg"))


def main(argv: list[str] | None = None) -> int:
    app = application(argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(app_icon())
    try:
        core = AppCore()
        _ = core.history  # open (migrate, recover) the history before the window shows it
    except UserError as exc:
        QMessageBox.critical(None, "desktop-llm", exc.message)
        return 1
    window = MainWindow(core)
    window.show()
    QTimer.singleShot(0, window.start_loading)
    QTimer.singleShot(0, window.api_ui.sync)
    QTimer.singleShot(0, window.models_ui.maybe_welcome)
    try:
        return app.exec()
    finally:
        core.close()
