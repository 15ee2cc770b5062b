"""Fixtures of the window tests: real main windows on a test home."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture
def make_window(qtbot, app_home):
    """Main windows on the test home; closed (and their cores) after the test."""
    from PySide6.QtWidgets import QApplication

    from desktop_llm.core.app import AppCore
    from desktop_llm.gui.main_window import MainWindow

    made = []

    def make():
        core = AppCore()
        window = MainWindow(core)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()  # shortcuts need the active window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        made.append((window, core))
        return window

    yield make
    for window, core in made:
        window.close()
        core.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):
    """A failed test may leave unsaved document edits: their Save? question
    would block the closing of its windows, so they are let go first."""
    documents = sys.modules.get("desktop_llm.gui.documents.window")
    if documents is not None:
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, documents.DocumentsWindow):
                widget.translate_panel.review.commit_edit()
                widget.translate_panel.review.dirty = False  # let unsaved edits go without asking
                widget.summary_result.saved = True
    return (yield)
