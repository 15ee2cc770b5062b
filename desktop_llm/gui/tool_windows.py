"""The writing tools' windows: one of each, made on first use and kept
while the main window lives (instance state, not class attributes)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QMainWindow

from desktop_llm.core.app import AppCore
from desktop_llm.core.models import ModelRef
from desktop_llm.gui.documents.window import DocumentsWindow
from desktop_llm.gui.library.window import LibraryWindow
from desktop_llm.gui.workspace.feedback_dialog import FeedbackDialog
from desktop_llm.gui.workspace.window import WorkspaceWindow


class ToolWindows:
    def __init__(self, core: AppCore, model_for_tools: Callable[[], ModelRef], main: QMainWindow,
                 show_conversation: Callable[[int], None]):
        self.core = core
        self.model_for_tools = model_for_tools
        self.main = main
        self.show_conversation = show_conversation
        self.workspace: WorkspaceWindow | None = None
        self.documents: DocumentsWindow | None = None
        self.feedback: FeedbackDialog | None = None
        self.library: LibraryWindow | None = None

    def open_workspace(self) -> WorkspaceWindow:
        if self.workspace is None:
            self.workspace = WorkspaceWindow(self.core, self.model_for_tools, self.main)
        self.workspace.show()
        self.workspace.raise_()
        self.workspace.activateWindow()
        return self.workspace

    def open_documents(self, path: str | Path | None = None) -> DocumentsWindow:
        if self.documents is None:
            self.documents = DocumentsWindow(self.core, self.model_for_tools, self.main)
            self.documents.conversation_created.connect(self.show_conversation)
        self.documents.show()
        self.documents.raise_()
        self.documents.activateWindow()
        if path is not None:
            self.documents.open_path(path)
        return self.documents

    def open_library(self) -> LibraryWindow:
        if self.library is None:
            self.library = LibraryWindow(self.core, self.main)
        self.library.show()
        self.library.raise_()
        self.library.activateWindow()
        return self.library

    def open_feedback(self) -> FeedbackDialog:
        if self.feedback is None:
            self.feedback = FeedbackDialog(self.core, self.model_for_tools, self.main)
        self.feedback.show()
        self.feedback.raise_()
        return self.feedback

    def close_all(self) -> bool:
        """Close every tool window; False (and all kept open) when the user
        cancels closing a document with unsaved work."""
        if self.documents is not None and self.documents.isVisible() and not self.documents.close():
            return False
        for window in (self.workspace, self.feedback, self.library):
            if window is not None:
                window.close()
        return True
