"""The window's settings: the dialog, the secrets it holds (kept in the
keyring, never in the settings file), and what a change sets in motion."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QMessageBox

from desktop_llm.core.errors import UserError
from desktop_llm.core.models import ModelRef, hub_token
from desktop_llm.core.secrets import get_secret, set_secret
from desktop_llm.core.server.runner import API_KEY_ACCOUNT
from desktop_llm.core.settings import Settings
from desktop_llm.gui.models.remote_dialog import RemoteModelsDialog
from desktop_llm.gui.settings_dialog import SettingsDialog
from desktop_llm.gui.shell import Shell


class SettingsUi:
    def __init__(self, window: Shell):
        self.window = window
        self.core = window.core

    def _models(self) -> list[ModelRef]:
        local: list[ModelRef] = list(self.core.registry.installed())
        return local + [self.core.resolve_model(c.name) for c in self.core.remote_models.list()]

    def open(self) -> None:
        dialog = SettingsDialog(self.core.settings, self._models(), self.window.window(),
                                has_token=hub_token.get_token() is not None,
                                api_key=get_secret(API_KEY_ACCOUNT) or "")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            set_secret(API_KEY_ACCOUNT, dialog.api_key.text())
            self.apply(dialog.result_settings())
            self.apply_token(dialog.token_change())

    def apply(self, new: Settings) -> None:
        """Store new defaults; core says whether the model must load again."""
        try:
            reload = self.core.update_settings(new)
        except UserError as exc:
            QMessageBox.warning(self.window.window(), "Settings not saved", exc.message)
            return
        settings = self.core.settings
        self.window.theme.apply(settings.theme, settings.font_size)
        self.window.api_ui.sync()
        if reload:
            self.window.start_loading()

    def apply_token(self, token: str | None) -> None:
        """Store (or forget, with "") the Hugging Face token in the keyring."""
        if token is None:
            return
        if hub_token.set_token(token or None) or not token:
            self.window.statusBar().showMessage("Hugging Face token saved." if token else "Token forgotten.", 4000)
        else:
            QMessageBox.information(self.window.window(), "Token kept for this session",
                "No system keyring is available, so the Hugging Face token is kept only until you "
                "quit. (It is never written to the settings file.) Set HF_TOKEN to use it every time.")

    def open_remote_models(self) -> None:
        dialog = RemoteModelsDialog(self.core.remote_models, self.window.window())
        dialog.exec()
        model = self.window.model
        if dialog.changed and model is not None and model.is_remote:
            self.window.start_loading()
