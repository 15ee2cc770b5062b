"""The window's part of the self-test: the main window is made, shown, drawn
and closed, as at a real start (without loading a model)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop_llm.gui.common.application import application
from desktop_llm.gui.main_window import MainWindow


def open_and_close(core) -> str:
    app = application([])
    window = MainWindow(core)
    window.show()
    QCoreApplication.processEvents()
    drawn = window.grab()
    if drawn.isNull() or drawn.width() < 100:
        raise RuntimeError("the main window could not be drawn")
    platform = app.platformName()
    window.close()
    QCoreApplication.processEvents()
    return f"opened and closed ({platform}, {drawn.width()}x{drawn.height()})"
