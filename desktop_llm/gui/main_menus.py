"""The main window's menus: every action has a shortcut, shown in its tooltip."""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMenuBar, QPlainTextEdit, QTextEdit, QWidget

from desktop_llm.core.app import AppCore
from desktop_llm.gui.about import AboutDialog, copy_report
from desktop_llm.gui.chat.bubble import MessageAction
from desktop_llm.gui.chat.message_actions import MessageActions
from desktop_llm.gui.models.ui import ModelsUi
from desktop_llm.gui.models.window import CATALOG, DOWNLOADS, INSTALLED, SEARCH
from desktop_llm.gui.settings_ui import SettingsUi
from desktop_llm.gui.shell import Shell
from desktop_llm.gui.sidebar.conversation_actions import ConversationActions
from desktop_llm.gui.sidebar.conversation_files import ConversationFiles
from desktop_llm.gui.sidebar.conversation_list import ConversationSidebar
from desktop_llm.gui.tool_windows import ToolWindows


class MenuHost(Shell, Protocol):
    """The main window as its menus see it: the shell and its parts."""

    messages: MessageActions
    conversations: ConversationActions
    models_ui: ModelsUi
    tools: ToolWindows
    files: ConversationFiles
    settings_ui: SettingsUi
    sidebar: ConversationSidebar
    core: AppCore

    def stop(self) -> None: ...

    def close(self) -> bool: ...

    def addAction(self, action: QAction) -> None: ...

    def menuBar(self) -> QMenuBar: ...


def build_menus(window: MenuHost) -> "MenuKeys":
    """The menus; what is returned keeps their shortcuts working in the window's text fields."""
    def action(text: str, shortcut: str, slot: Callable) -> QAction:
        a = QAction(text, window.window())
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setToolTip(f"{text.replace('&', '').rstrip('…')}" + (f" ({shortcut})" if shortcut else ""))
        a.triggered.connect(lambda _checked=False: slot())  # never the checked flag as an argument
        window.addAction(a)
        return a

    def on_last(name: MessageAction) -> Callable[[], None]:
        return lambda: window.messages.on_last(name)

    models, tools, conversations = window.models_ui, window.tools, window.conversations
    menus = {
        "&File": [
            action("&New chat", "Ctrl+N", window.new_chat), None,
            action("&Import conversation…", "Ctrl+O", window.files.import_dialog),
            action("&Export conversation…", "Ctrl+E", lambda: window.files.export_dialog(window.conversation_id)),
            None,
            action("&Settings…", "Ctrl+,", window.settings_ui.open), None,
            action("&Quit", "Ctrl+Q", window.close),
        ],
        "&Edit": [
            action("&Undo", "Ctrl+Z", lambda: conversations.undo_delete() if conversations.trashed is not None
                   else on_focus("undo")()),
            action("&Redo", "Ctrl+Shift+Z", on_focus("redo")), None,
            action("Cu&t", "Ctrl+X", on_focus("cut")),
            action("&Copy", "Ctrl+C", on_focus("copy")),
            action("&Paste", "Ctrl+V", on_focus("paste")),
            action("Select &all", "Ctrl+A", on_focus("selectAll")), None,
            action("&Find in all chats", "Ctrl+F", window.sidebar.focus_search),
            action("&Pin or unpin conversation", "Ctrl+Shift+P", conversations.toggle_pin),
            window.sidebar.rename_action, window.sidebar.delete_action,
        ],
        "&Chat": [
            action("&Stop reply", "Esc", window.stop),
            action("&Regenerate reply", "Ctrl+R", on_last(MessageAction.REGENERATE)),
            action("C&ontinue reply", "Ctrl+Shift+Return", on_last(MessageAction.CONTINUE)),
            action("&Edit last message", "Ctrl+Shift+E", on_last(MessageAction.EDIT)),
            action("&Copy last reply", "Ctrl+Shift+C", on_last(MessageAction.COPY)),
            action("Pre&vious version of reply", "Alt+Left", on_last(MessageAction.PREVIOUS)),
            action("Ne&xt version of reply", "Alt+Right", on_last(MessageAction.NEXT)), None,
            action("&Write a message", "Ctrl+L", window.input.setFocus),
            action("Conversation se&ttings…", "Ctrl+Shift+S",
                   lambda: conversations.edit_settings(window.conversation_id)),
        ],
        "&Write": [
            action("&Writing workspace…", "Ctrl+Shift+D", tools.open_workspace),
            action("&Documents: summarize or translate…", "Ctrl+D", tools.open_documents),
            action("&Analyze feedback…", "Ctrl+Shift+A", tools.open_feedback),
            action("&Library: your documents, indexed…", "Ctrl+Shift+L", tools.open_library),
        ],
        "&Models": [
            action("&Models…", "Ctrl+M", lambda: models.open(CATALOG)),
            action("&Search the Hugging Face Hub…", "Ctrl+Shift+F", lambda: models.open(SEARCH)),
            action("&Installed models…", "Ctrl+Shift+M", lambda: models.open(INSTALLED)),
            action("Import model &file…", "Ctrl+Shift+O", models.import_dialog),
            action("&Downloads…", "Ctrl+J", lambda: models.open(DOWNLOADS)),
            action("&Remote models…", "Ctrl+Shift+K", window.settings_ui.open_remote_models),
        ],
        "&Help": [
            action("Copy &diagnostic report", "Ctrl+Shift+R", lambda: copy_report(window.core)),
            action("&About desktop-llm…", "F1", lambda: AboutDialog(window.core, window.window()).exec()),
        ],
    }
    for title, actions in menus.items():
        menu = window.menuBar().addMenu(title)
        for a in actions:
            menu.addSeparator() if a is None else menu.addAction(a)
    keys = {a.shortcut().toString() for actions in menus.values() for a in actions if a is not None}
    return MenuKeys(window.window(), keys - {""})


EDITING_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo, QKeySequence.StandardKey.Cut,
                QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Paste, QKeySequence.StandardKey.SelectAll,
                QKeySequence.StandardKey.Delete)


def on_focus(command: str) -> Callable[[], None]:
    """An editing command (undo, cut, copy, paste, selectAll...) for the widget that has the focus,
    from the Edit menu; selected text of a message is copied too."""
    def run() -> None:
        widget = QApplication.focusWidget()
        if isinstance(widget, QLabel) and command == "copy":
            if widget.hasSelectedText():
                QApplication.clipboard().setText(widget.selectedText())
            return
        method = getattr(widget, command, None)
        if callable(method):
            method()
    return run


class MenuKeys(QObject):
    """The menus' shortcuts work wherever the focus is in the window: a text field that would take the same
    keys for itself (with the GNOME and KDE key bindings a line edit takes Ctrl+E as "end of line") lets them
    go, except the keys of editing itself."""

    def __init__(self, window: QWidget, keys: set[str]):
        super().__init__(window)
        self.window, self.keys = window, keys
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and isinstance(watched, (QLineEdit, QTextEdit, QPlainTextEdit)) and watched.window() is self.window
                and QKeySequence(event.keyCombination()).toString() in self.keys
                and not any(event.matches(key) for key in EDITING_KEYS)):
            return True  # not taken by the field: the window's shortcut runs
        return False
