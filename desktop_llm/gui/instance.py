"""One window at a time: a second start of the app — or "Open with" a file in
the file manager — hands its files to the window already running, which comes
to the front and opens them, and then quits. The files: a .gguf is imported
into the Models window; a document opens in Documents."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop_llm.core.documents.formats import READABLE_SUFFIXES

WAIT_MS = 1500


def instance_name(data_dir: Path) -> str:
    """One name per user and data folder (two test homes, or two users, never meet)."""
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return f"desktop-llm-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}"


def hand_over(name: str, paths: list[str]) -> bool:
    """Give the files to the running window; False when none runs (this start becomes the window)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(WAIT_MS):
        return False
    socket.write(json.dumps([str(Path(p).resolve()) for p in paths]).encode() + b"\n")
    socket.flush()
    socket.waitForBytesWritten(WAIT_MS)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """The running window's side: files from later starts arrive as `opened`."""

    opened = Signal(list)

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.server = QLocalServer(self)
        QLocalServer.removeServer(name)  # left behind by a start that crashed: nobody answered on it
        self.listening = self.server.listen(name)
        self.server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        try:
            paths = json.loads(bytes(socket.readLine().data()).decode())
        except ValueError:
            return
        self.opened.emit([str(p) for p in paths if isinstance(p, str)])


def open_files(window, paths: list[str]) -> None:
    """What "Open with" (or `desktop-llm FILE`) does: a model is imported, a document opens in Documents."""
    from desktop_llm.gui.models.window import INSTALLED

    models = [p for p in paths if p.lower().endswith(".gguf")]
    documents = [p for p in paths if Path(p).suffix.lower() in READABLE_SUFFIXES]
    if models:
        window.models_ui.open(INSTALLED).import_files(models)
    if documents:
        window.tools.open_documents(documents[0])
    others = [Path(p).name for p in paths if p not in models and p not in documents]
    if others:
        window.statusBar().showMessage(f"{', '.join(others)}: not a model or a document this app opens "
                                       f"({', '.join(READABLE_SUFFIXES)}, .gguf).", 8000)


def bring_to_front(window, paths: list[str]) -> None:
    """Another start asked for the window (and maybe for files): it comes to the front and opens them."""
    window.showNormal() if window.isMinimized() else window.show()
    window.raise_()
    window.activateWindow()
    open_files(window, paths)
