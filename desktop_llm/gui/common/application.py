"""The one QApplication of the process."""

from __future__ import annotations

import gc
import sys

from PySide6.QtWidgets import QApplication

from desktop_llm.gui.common.focus_ring import FocusRing

_focus_ring: FocusRing | None = None


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, made on first use (tests and every window share it), with
    the keyboard focus ring."""
    global _focus_ring
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *(argv or [])])
    if _focus_ring is None:
        _focus_ring = FocusRing(app)
    return app


def focus_ring() -> FocusRing | None:
    return _focus_ring


def settle_memory() -> None:
    """Once the window is up: what exists by then (modules, Qt wrappers, the window) is set aside
    from Python's full garbage collections, which otherwise walk all of it — 50 to 120 ms holding
    Python's lock — at moments that may fall while a reply streams."""
    gc.collect()
    gc.freeze()
