"""Wires the core pieces together for a front end (GUI, CLI, API server)."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cached_property
from urllib.parse import urlsplit

from desktop_llm.core.chat import ChatService
from desktop_llm.core.documents.summarize import Summarizer
from desktop_llm.core.documents.translate import Translator
from desktop_llm.core.drafting.templates import Template, load_templates
from desktop_llm.core.drafting.writer import Writer
from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.files import atomic_write_text, disk_error, read_json
from desktop_llm.core.host import EngineConfig, ModelHost
from desktop_llm.core.library.libraries import Libraries
from desktop_llm.core.models import ModelRef, ModelRegistry, ServerModel
from desktop_llm.core.models.download_queue import DownloadQueue
from desktop_llm.core.models.guard import ModelGuard
from desktop_llm.core.models.manager import ModelManager
from desktop_llm.core.paths import AppPaths
from desktop_llm.core.remote import RemoteEngine, RemoteModelConfig, RemoteModels, check_url
from desktop_llm.core.settings import Settings
from desktop_llm.core.state_cache import StateCache
from desktop_llm.core.store import History
from desktop_llm.core.store.drafts import Drafts

WINDOW_STATE = "window.json"


class AppCore:
    """Paths, settings, history and — created on first use — the model host."""

    def __init__(self, paths: AppPaths | None = None):
        self.paths = (paths or AppPaths.from_env()).ensure()
        self._adhoc_remotes: dict = {}  # name -> (config, key): backends given on the command line
        self.settings = Settings.load(self.paths.settings_file)
        self.registry = ModelRegistry(self.paths)
        self._remembered: int | None = -1  # the conversation last written to WINDOW_STATE (-1: none yet)

    @cached_property
    def history(self) -> History:
        return History(self.paths.history_db)

    @cached_property
    def libraries(self) -> Libraries:
        return Libraries(self.paths.library_db, lambda name: self.registry.resolve(name).path)

    @cached_property
    def guard(self) -> ModelGuard:
        return ModelGuard(self.paths)

    @cached_property
    def host(self) -> ModelHost:
        host = ModelHost(self.guard, self.engine_config(), states=self.state_cache())
        host.remote_engine = self._remote_engine
        return host

    @cached_property
    def remote_models(self) -> RemoteModels:
        return RemoteModels(self.paths.data_dir / "remote-models.json")

    def use_backend(self, base_url: str, api_key: str | None = None, model: str = "") -> ServerModel:
        """An OpenAI-compatible server for this session only (`chat --backend URL`)."""
        url = check_url(base_url)
        config = RemoteModelConfig(f"{urlsplit(url).netloc}", url, model or "default")
        self._adhoc_remotes[config.name] = (config, api_key)
        return ServerModel(config.name)

    def remote_config(self, name: str):
        if name in self._adhoc_remotes:
            return self._adhoc_remotes[name]
        config = next((c for c in self.remote_models.list() if c.name == name), None)
        return (config, None) if config else None

    def _remote_engine(self, model: ServerModel) -> RemoteEngine:
        found = self.remote_config(model.name)
        if found is None:
            raise UserError(f"The remote model {model.name} is no longer configured.")
        config, key = found
        return RemoteEngine(config, key, offline=self.settings.offline)

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
    def summarizer(self) -> Summarizer:
        return Summarizer(self.host, self.settings)

    @cached_property
    def translator(self) -> Translator:
        return Translator(self.host, self.settings)

    @cached_property
    def writer(self) -> Writer:
        return Writer(self.host, self.settings)

    def templates(self) -> dict[str, Template]:
        """Built-in writing templates and the user's own (which win on the same id)."""
        return load_templates(self.paths.templates_dir)

    def state_cache(self) -> StateCache:
        """The model's memory of recent prompts: in memory (state_cache_mb; 0: a tenth of the free memory,
        at most 1 GB) and, for long prompts, on disk (state_cache_disk_mb; 0: none)."""
        import psutil

        s = self.settings
        free = psutil.virtual_memory().available
        memory = s.state_cache_mb << 20 if s.state_cache_mb > 0 else min(1 << 30, free // 10)
        return StateCache(memory, self.paths.state_cache_dir, max(0, s.state_cache_disk_mb) << 20)

    def engine_config(self) -> EngineConfig:
        s = self.settings
        return EngineConfig(s.n_ctx, s.n_threads, s.n_gpu_layers, s.gpu_mode, s.engine_options())

    def save_settings(self) -> None:
        """Store the settings (atomically) and let the next job use them."""
        try:
            self.settings.save(self.paths.settings_file)
        except OSError as exc:
            raise disk_error(exc, "the settings") from exc
        if "host" in self.__dict__:
            self.host.reconfigure(self.engine_config())

    def update_settings(self, new: Settings) -> bool:
        """Take `new` as the settings (every core object shares the one
        Settings instance) and store them; True when the model must be
        loaded again (its file, context, threads or GPU use changed)."""
        reload = self.settings.model_changes(new)
        for key, value in asdict(new).items():
            setattr(self.settings, key, value)
        self.save_settings()
        return reload

    def resolve_model(self, name_or_path: str | None = None) -> ModelRef:
        """A local model (name, alias or path), or a remote model by its name."""
        wanted = (name_or_path or self.settings.default_model or "").strip()
        if wanted and self.remote_config(wanted) is not None:
            return ServerModel(wanted)
        return self.registry.resolve(name_or_path, self.settings.default_model)

    def use_model(self, name: str) -> ModelRef:
        """Make a model (installed, or remote by its name) the default, saved; the front end loads it."""
        if self.remote_config(name) is not None:
            self.settings.default_model = name
        else:
            self.models.set_default(name)
        self.save_settings()
        return self.resolve_model()

    @property
    def last_conversation(self) -> int | None:
        """The conversation that was on screen when the window was last used (None: a new chat)."""
        state = read_json(self.paths.data_dir / WINDOW_STATE, dict)
        conversation_id = state.get("conversation")
        if not isinstance(conversation_id, int):
            return None
        try:
            self.history.get_conversation(conversation_id)
        except NotFound:
            return None
        return conversation_id

    def remember_conversation(self, conversation_id: int | None) -> None:
        """What the window shows, so that the next start shows it again; written (with an
        fsync) only when it changed, not each time the same conversation is shown again."""
        if self._remembered == conversation_id:
            return
        try:
            atomic_write_text(self.paths.data_dir / WINDOW_STATE, json.dumps({"conversation": conversation_id}))
        except OSError:
            return  # a convenience: a full disk must not stop the window
        self._remembered = conversation_id

    def cancel_jobs(self) -> None:
        """Stop the model's running and queued jobs (when the model host was started)."""
        if "host" in self.__dict__:
            self.host.cancel_all()

    def begin_window_session(self) -> None:
        """The window opens. The trash holds what was deleted in one window
        session, for Undo: what an earlier session deleted is gone for good."""
        self.history.empty_trash()

    def end_window_session(self) -> None:
        """The window closes: what was deleted in it is gone for good (the
        command line deletes for good at once and never uses the trash)."""
        self.history.empty_trash()

    def close(self) -> None:
        if "downloads" in self.__dict__:
            self.downloads.shutdown()  # a running download is paused, kept for next time
        if "host" in self.__dict__:
            self.host.shutdown()
        if "history" in self.__dict__:
            self.history.close()
        if "libraries" in self.__dict__:
            self.libraries.close()
