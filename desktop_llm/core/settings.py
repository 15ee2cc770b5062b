"""Typed user settings, stored as JSON and written atomically."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from desktop_llm.core.engine_options import KV_TYPES, EngineOptions
from desktop_llm.core.files import atomic_write_text

log = logging.getLogger(__name__)


@dataclass
class Settings:
    default_model: str = ""  # empty: the bundled starter model
    n_ctx: int = 4096
    n_threads: int = 0  # 0: one per physical core
    gpu_mode: str = "auto"  # auto (as many layers as fit), cpu, or manual (n_gpu_layers)
    n_gpu_layers: int = 0
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 1024
    system_prompt: str = ""
    theme: str = "system"  # system, light or dark
    font_size: int = 0  # points; 0: the system's size
    offline: bool = False  # never touch the network (Hub search and downloads off)
    welcome_shown: bool = False  # the first-run welcome was seen (and maybe skipped)
    api_server: bool = False  # serve the OpenAI-compatible API while the window is open
    api_port: int = 4891  # on 127.0.0.1; its key (optional) is kept in the keyring
    # Names the API also answers to, for tools that hard-code OpenAI's (e.g. {"gpt-4o-mini": "default",
    # "text-embedding-3-small": "default"}); a value is a model's name, or "default".
    api_model_aliases: dict = field(default_factory=dict)
    state_cache_mb: int = 0  # the model's memory of recent prompts, in memory (0: a tenth of the free memory, ≤ 1 GB)
    state_cache_disk_mb: int = 2048  # ...and of long ones on disk, so they resume after a restart (0: none)
    flash_attn: bool = False  # llama.cpp's flash attention (a quantized KV cache turns it on)
    kv_cache_type: str = "f16"  # the KV cache's numbers: f16, q8_0 or q4_0 (a long context in less memory)
    n_batch: int = 512  # prompt tokens llama.cpp reads at once
    library_watch_s: int = 30  # while the window is open, look for changed files in the libraries this often (0: never)

    THEMES = ("system", "light", "dark")
    GPU_MODES = ("auto", "cpu", "manual")
    # Settings the loaded model is made with: a change means loading it again.
    MODEL_FIELDS = ("default_model", "n_ctx", "n_threads", "gpu_mode", "n_gpu_layers", "flash_attn",
                    "kv_cache_type", "n_batch")

    def engine_options(self) -> EngineOptions:
        return EngineOptions(self.flash_attn, self.kv_cache_type, self.n_batch)

    def model_changes(self, other: "Settings") -> bool:
        """Whether `other` needs the model loaded again."""
        return any(getattr(self, f) != getattr(other, f) for f in self.MODEL_FIELDS)

    @classmethod
    def load(cls, path: Path) -> "Settings":
        """Read settings; unknown keys are ignored, bad values fall back to defaults."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", path, exc)
            return cls()
        settings = cls()
        if not isinstance(raw, dict):
            return settings
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            default = getattr(settings, f.name)
            if isinstance(default, bool) != isinstance(value, bool):
                continue
            if type(value) not in (type(default), int):
                continue
            setattr(settings, f.name, type(default)(value))
        if settings.theme not in cls.THEMES:
            settings.theme = "system"
        if settings.gpu_mode not in cls.GPU_MODES:
            settings.gpu_mode = "auto"
        if settings.kv_cache_type not in KV_TYPES:
            settings.kv_cache_type = "f16"
        settings.n_batch = min(max(settings.n_batch, 32), 4096)
        settings.n_threads = min(max(settings.n_threads, 0), 256)
        return settings

    def save(self, path: Path) -> None:
        atomic_write_text(Path(path), json.dumps(asdict(self), indent=2) + "\n")
