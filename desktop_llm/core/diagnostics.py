"""What a bug report needs, and nothing the user wrote: versions, hardware,
folders, the engine settings, the loaded model, and the last warnings and
errors of the log (which never holds conversation text). Also the log itself:
one file per data folder, rotated so it never grows past a few MB."""

from __future__ import annotations

import logging
import logging.handlers
import platform
import sys
from pathlib import Path

from desktop_llm import __version__
from desktop_llm.core.models import hardware

LOG_BYTES = 1 << 20
LOG_FILES = 3  # the log and two older ones
LAST_PROBLEMS = 20
COMPONENTS = (  # what the app ships, and under which licence
    ("Python", "PSF License"), ("Qt 6 / PySide6", "LGPL-3.0"), ("llama.cpp", "MIT"),
    ("llama-cpp-python", "MIT"), ("SmolLM2-135M-Instruct (starter model)", "Apache-2.0"),
    ("WordLlama (built-in embedder)", "MIT"), ("huggingface_hub", "Apache-2.0"), ("NumPy", "BSD-3-Clause"),
    ("Starlette / Uvicorn", "BSD-3-Clause"), ("pypdf", "BSD-3-Clause"), ("python-docx", "MIT"),
    ("sqlite-vec", "MIT / Apache-2.0"),
)


def log_file(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / "desktop-llm.log"


def start_logging(data_dir: Path) -> Path:
    """Warnings and errors (and the app's own notes) to the rotated log file."""
    path = log_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_FILES - 1,
                                                       encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    return path


def llama_build() -> str:
    try:
        import llama_cpp
    except ImportError:
        return "llama-cpp-python is not installed"
    backend = "GPU offload" if hardware.llama_supports_gpu() else "CPU only"
    return f"llama-cpp-python {llama_cpp.__version__} ({backend})"


def last_problems(data_dir: Path, count: int = LAST_PROBLEMS) -> list[str]:
    path = log_file(data_dir)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if " WARNING " in line or " ERROR " in line or " CRITICAL " in line][-count:]


def report(core, extra: dict[str, str] | None = None) -> str:
    """The diagnostic report, as plain text to paste into a bug report."""
    hw = hardware.detect()
    s = core.settings
    gpu = hw.gpu
    loaded = core.host.loaded_model if "host" in core.__dict__ else None
    lines = [
        f"desktop-llm {__version__}",
        f"System: {platform.platform()} ({platform.machine()})",
        f"Python: {sys.version.split()[0]}{' (bundle)' if getattr(sys, 'frozen', False) else ''}",
        f"Engine: {llama_build()}",
        *(f"{k}: {v}" for k, v in (extra or {}).items()),
        f"CPU cores: {hw.cpu_cores}; memory: {hw.total_ram / 2**30:.1f} GB ({hw.available_ram / 2**30:.1f} GB free)",
        f"GPU: {gpu.name} ({gpu.free_vram / 2**30:.1f} GB free)" if gpu else "GPU: none found",
        f"Loaded model: {loaded.name if loaded else 'none'}",
        f"Settings: context {s.n_ctx}, threads {s.n_threads or 'auto'}, GPU {s.gpu_mode}, KV cache "
        f"{s.kv_cache_type}, flash attention {'on' if s.engine_options().uses_flash_attn else 'off'}, "
        f"batch {s.n_batch}, offline {'on' if s.offline else 'off'}",
        f"Data: {core.paths.data_dir}",
        f"Settings file: {core.paths.settings_file}",
        f"Log: {log_file(core.paths.data_dir)}",
        "",
        "Last warnings and errors:",
        *(last_problems(core.paths.data_dir) or ["(none)"]),
    ]
    return "\n".join(lines)
