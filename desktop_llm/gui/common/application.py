"""The one QApplication of the process."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, made on first use (tests and every window share it)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication([sys.argv[0], *(argv or [])])
