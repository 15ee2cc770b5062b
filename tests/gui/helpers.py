"""Helpers for driving the main window in pytest-qt tests."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

WAIT_MS = 60_000


def loaded(qtbot, window):
    window.start_loading()
    qtbot.waitUntil(lambda: window.model_status.ready, timeout=WAIT_MS)
    return window


def type_and_send(qtbot, window, text):
    qtbot.keyClicks(window.input, text)
    qtbot.keyClick(window.input, Qt.Key.Key_Return)


def reply_done(window):
    return window.session.job is None


def choose(qtbot, window, item):
    """Click an item of the sidebar's list as a user would."""
    view = window.sidebar.list
    view.scrollToItem(item)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualItemRect(item).center())


def send_and_wait(qtbot, window, text):
    type_and_send(qtbot, window, text)
    qtbot.waitUntil(lambda: reply_done(window), timeout=WAIT_MS)


def answer_message_box(qtbot, seen: list, choice=None):
    """Close the next modal message box, remembering its text; `choice`
    (a QMessageBox.StandardButton) is the button pressed, else it is accepted."""
    def close():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(choice).click() if choice is not None else box.accept()
        else:
            QTimer.singleShot(20, close)
    QTimer.singleShot(20, close)
