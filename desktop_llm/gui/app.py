"""Start the GUI: show the window first, then load the model in the worker."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox

from desktop_llm import APP_NAME, __version__
from desktop_llm.core.app import AppCore
from desktop_llm.core.diagnostics import start_logging
from desktop_llm.core.errors import UserError
from desktop_llm.core.paths import resources_dir
from desktop_llm.core.store.recovery import DamagedHistory, recover
from desktop_llm.gui.about import install_crash_dialog
from desktop_llm.gui.common.application import application, settle_memory
from desktop_llm.gui.instance import InstanceServer, bring_to_front, hand_over, instance_name, open_files
from desktop_llm.gui.main_window import MainWindow


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icon.svg"))


def open_history(core: AppCore) -> bool:
    """Open (migrate, recover interrupted replies in) the history before the
    window shows it. A damaged file is offered a recovery; False: do not start."""
    try:
        _ = core.history
        return True
    except DamagedHistory as exc:
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.critical(
            None, "The history is damaged",
            f"{exc.message}\n\nRecover now? Everything that can be read is copied into a new history.",
            buttons.Yes | buttons.Close, buttons.Yes)
        if answer != buttons.Yes:
            return False
        try:
            report = recover(core.paths.history_db)
            _ = core.history
        except UserError as again:
            QMessageBox.critical(None, "desktop-llm", again.message)
            return False
        QMessageBox.information(None, "History recovered", report.text)
        return True
    except UserError as exc:
        QMessageBox.critical(None, "desktop-llm", exc.message)
        return False


def main(argv: list[str] | None = None, files: list[str] | None = None) -> int:
    """The window; `files` (from the command line or "Open with") are opened in it — or handed to
    the window already running, which comes to the front."""
    app = application(argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(app_icon())
    try:
        core = AppCore()
    except UserError as exc:
        QMessageBox.critical(None, "desktop-llm", exc.message)
        return 1
    name = instance_name(core.paths.data_dir)
    if hand_over(name, files or []):
        return 0
    if not open_history(core):
        return 1
    start_logging(core.paths.data_dir)
    window = MainWindow(core)
    install_crash_dialog(core, window)
    instance = InstanceServer(name, window)
    instance.opened.connect(lambda paths: bring_to_front(window, paths))
    window.show()
    if files:
        QTimer.singleShot(0, lambda: open_files(window, files))
    QTimer.singleShot(0, window.start_loading)
    QTimer.singleShot(0, window.api_ui.sync)
    QTimer.singleShot(0, window.models_ui.maybe_welcome)
    QTimer.singleShot(0, settle_memory)
    try:
        return app.exec()
    finally:
        core.close()
