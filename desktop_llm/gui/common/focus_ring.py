"""A clear ring around the widget that has the keyboard focus, drawn unless the
focus came with a click: the styles' own focus marks are faint in the dark
theme, and some widgets draw none at all."""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

WIDTH = 2
CLICK_S = 0.3  # a focus change this soon after a mouse press came with the click


class Ring(QWidget):
    """Drawn over the focused widget's window, passing every click through."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("focus_ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight)).lighter(
            140 if self.palette().color(QPalette.ColorRole.Window).lightness() < 128 else 100)
        painter.setPen(QPen(colour, WIDTH))
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 4, 4)


class FocusRing(QObject):
    """Follows the focus across the app's windows: shown when the focus moved without
    a mouse button held (Tab, Shift+Tab, a shortcut, the app moving it), hidden on a click."""

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.target: QWidget | None = None
        self.ring: Ring | None = None
        self.pressed_at = self.keyed_at = 0.0  # when a mouse button, a key was last pressed in the app
        app.focusChanged.connect(self._on_focus_changed)
        app.installEventFilter(self)

    def _on_focus_changed(self, _old, new) -> None:
        by_mouse = QApplication.mouseButtons() != Qt.MouseButton.NoButton or (
            self.pressed_at > self.keyed_at and time.monotonic() - self.pressed_at < CLICK_S)
        if new is None or by_mouse or new.window() is new:
            self.hide()
        else:
            self.follow(new)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            self.pressed_at = time.monotonic()
            if self.target is not None:
                self.hide()  # the mouse is in use: the ring goes until the keyboard moves the focus
        elif kind == QEvent.Type.KeyPress:
            self.keyed_at = time.monotonic()
        elif obj is self.target and kind in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show,
                                             QEvent.Type.Hide):
            self.place()
        return False

    def follow(self, widget: QWidget) -> None:
        self._let_go()
        window = widget.window()  # (Move and Resize of the target reach eventFilter: it watches the app)
        if self.ring is not None and not shiboken6.isValid(self.ring):
            self.ring = None
        if self.ring is None or self.ring.parentWidget() is not window:
            if self.ring is not None:
                self.ring.deleteLater()
            self.ring = Ring(window)
            self.ring.destroyed.connect(self._ring_gone)
        self.target = widget
        widget.destroyed.connect(self._target_gone)
        self.place()

    def place(self) -> None:
        ring, target = self.ring, self.target
        if ring is None or target is None or not (shiboken6.isValid(ring) and shiboken6.isValid(target)):
            return
        window = ring.parentWidget()
        if window is None or not target.isVisible():
            ring.hide()
            return
        top_left = target.mapTo(window, target.rect().topLeft())
        ring.setGeometry(QRect(top_left, target.size()).adjusted(-WIDTH - 1, -WIDTH - 1, WIDTH + 1, WIDTH + 1))
        ring.raise_()
        ring.show()
        ring.update()

    def hide(self) -> None:
        self._let_go()
        if self.ring is not None and shiboken6.isValid(self.ring):
            self.ring.hide()

    def _let_go(self) -> None:
        if self.target is not None and shiboken6.isValid(self.target):  # a widget may go without a word
            self.target.destroyed.disconnect(self._target_gone)
        self.target = None

    def _target_gone(self) -> None:
        self.target = None
        if self.ring is not None and shiboken6.isValid(self.ring):
            self.ring.hide()

    def _ring_gone(self) -> None:
        self.ring = None

    def shown_around(self) -> QWidget | None:
        """The widget the ring is drawn around now (None when hidden)."""
        ring = self.ring
        return self.target if ring is not None and shiboken6.isValid(ring) and ring.isVisible() else None
