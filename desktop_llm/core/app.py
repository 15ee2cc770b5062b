"""Wires the core pieces together for a front end (GUI, CLI, API server)."""

from __future__ import annotations

from functools import cached_property

from desktop_llm.core.chat import ChatService
from desktop_llm.core.drafting.templates import Template, load_templates
from desktop_llm.core.drafting.writer import Writer
from desktop_llm.core.host import EngineConfig, ModelHost
from desktop_llm.core.model_guard import ModelGuard
from desktop_llm.core.models import InstalledModel, ModelRegistry
from desktop_llm.core.models.download_queue import DownloadQueue
from desktop_llm.core.models.manager import ModelManager
from desktop_llm.core.paths import AppPaths
from desktop_llm.core.settings import Settings
from desktop_llm.core.store import History
from desktop_llm.core.store.drafts import Drafts


class AppCore:
    """Paths, settings, history and — created on first use — the model host."""

    def __init__(self, paths: AppPaths | None = None):
        self.paths = (paths or AppPaths.from_env()).ensure()
        self.settings = Settings.load(self.paths.settings_file)
        self.registry = ModelRegistry(self.paths)

    @cached_property
    def history(self) -> History:
        return History(self.paths.history_db)

    @cached_property
    def guard(self) -> ModelGuard:
        return ModelGuard(self.paths)

    @cached_property
    def host(self) -> ModelHost:
        return ModelHost(self.guard, self.engine_config())

    @cached_property
    def models(self) -> ModelManager:
        return ModelManager(self.registry, self.guard, self.settings)

    @cached_property
    def downloads(self) -> DownloadQueue:
        return DownloadQueue(self.models)

    @cached_property
    def chat(self) -> ChatService:
        return ChatService(self.history, self.host, self.settings)

    @cached_property
    def drafts(self) -> Drafts:
        return Drafts(self.history)

    @cached_property
    def writer(self) -> Writer:
        return Writer(self.host, self.settings)

    def templates(self) -> dict[str, Template]:
        """Built-in writing templates and the user's own (which win on the same id)."""
        return load_templates(self.paths.templates_dir)

    def engine_config(self) -> EngineConfig:
        s = self.settings
        return EngineConfig(s.n_ctx, s.n_threads, s.n_gpu_layers, s.gpu_mode)

    def save_settings(self) -> None:
        """Store the settings (atomically) and let the next job use them."""
        self.settings.save(self.paths.settings_file)
        if "host" in self.__dict__:
            self.host.reconfigure(self.engine_config())

    def resolve_model(self, name_or_path: str | None = None) -> InstalledModel:
        return self.registry.resolve(name_or_path, self.settings.default_model)

    def close(self) -> None:
        if "downloads" in self.__dict__:
            self.downloads.shutdown()  # a running download is paused, kept for next time
        if "host" in self.__dict__:
            self.host.shutdown()
        if "history" in self.__dict__:
            self.history.close()
