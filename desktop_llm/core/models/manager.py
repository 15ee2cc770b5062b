"""Everything the Models page and `desktop-llm models` do, in one place:
catalog with fit badges, Hub search and files, downloads, import, remove,
default model, recommendation."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Failed, Finished
from desktop_llm.core.models import fit, hardware
from desktop_llm.core.models.catalog import CatalogEntry, find_entry, load_catalog
from desktop_llm.core.models.downloads import (
    DownloadControl,
    DownloadResult,
    discard_download,
    download,
    paused_downloads,
)
from desktop_llm.core.models.gguf import ModelInfo
from desktop_llm.core.models.guard import ModelGuard
from desktop_llm.core.models.hub import Hub, RemoteModel
from desktop_llm.core.models.hub_token import get_token
from desktop_llm.core.models.ref import LocalModel, ModelSource
from desktop_llm.core.models.registry import ModelRegistry
from desktop_llm.core.settings import Settings


@dataclass(frozen=True)
class InstalledRow:
    model: LocalModel
    info: ModelInfo | None
    problem: str = ""  # why the header could not be read
    default: bool = False

    def as_dict(self) -> dict:
        d = {"name": self.model.name, "path": str(self.model.path), "source": self.model.source,
             "default": self.default}
        if self.info:
            d.update(self.info.as_dict())
        if self.problem:
            d["problem"] = self.problem
        return d


@dataclass(frozen=True)
class CatalogRow:
    entry: CatalogEntry
    fit: fit.Fit
    installed: bool

    def as_dict(self) -> dict:
        return {**self.entry.as_dict(), "fit": self.fit.as_dict(), "installed": self.installed}


class ModelManager:
    def __init__(self, registry: ModelRegistry, guard: ModelGuard, settings: Settings):
        self.registry = registry
        self.guard = guard
        self.settings = settings

    @property
    def models_dir(self) -> Path:
        return self.registry.paths.models_dir

    def hub(self) -> Hub:
        return Hub(offline=self.settings.offline, token=get_token())

    # -- installed -----------------------------------------------------------------
    def installed(self) -> list[InstalledRow]:
        rows = []
        try:
            default = self.registry.resolve(None, self.settings.default_model).path
        except UserError:
            default = None
        for m in self.registry.installed():
            try:
                info, problem = self.guard.info_cache.inspect(m.path), ""
            except UserError as exc:
                info, problem = None, exc.message
            rows.append(InstalledRow(m, info, problem, m.path == default))
        return rows

    def find(self, name: str) -> LocalModel:
        return self.registry.resolve(name)

    def import_file(self, path: str | os.PathLike) -> InstalledRow:
        """Inspect the header, trial-load in a child process, then offer it."""
        candidate = LocalModel(Path(path).stem, Path(path).expanduser().resolve(), ModelSource.IMPORTED)
        info = self.guard.check(candidate)  # raises a clear ModelFileError on a bad file
        model = self.registry.add_imported(candidate.path)
        return InstalledRow(model, info)

    def remove(self, name: str) -> list[Path]:
        model = self.registry.resolve(name)
        removed = self.registry.remove(model)
        if self.settings.default_model in (model.name, model.path.name, str(model.path)):
            self.settings.default_model = ""
        return removed

    def set_default(self, name: str) -> LocalModel:
        model = self.registry.resolve(name)
        self.settings.default_model = "" if model.bundled else model.name
        return model

    # -- catalog and fit -------------------------------------------------------------
    def catalog(self, n_ctx: int | None = None, hw: hardware.Hardware | None = None) -> list[CatalogRow]:
        hw = hw or hardware.detect()
        n_ctx = n_ctx or self.settings.n_ctx
        names = {m.path.name for m in self.registry.installed()}
        kv = self.settings.engine_options().kv_bytes_per_value
        return [CatalogRow(e, fit.estimate_entry(e, n_ctx, hw, kv_bytes=kv),
                           any(f in names for f in e.files.values()))
                for e in load_catalog()]

    def recommend(self, hw: hardware.Hardware | None = None) -> CatalogEntry | None:
        return fit.recommend(load_catalog(), hw or hardware.detect(), self.settings.n_ctx,
                             self.settings.engine_options().kv_bytes_per_value)

    def recommendation(self, hw: hardware.Hardware) -> tuple[CatalogEntry | None, fit.Fit | None]:
        """The recommended catalog model and how it fits (None, None when none fits comfortably)."""
        entry = self.recommend(hw)
        kv = self.settings.engine_options().kv_bytes_per_value
        return entry, fit.estimate_entry(entry, self.settings.n_ctx, hw, kv_bytes=kv) if entry else None

    # -- downloads --------------------------------------------------------------------
    def download(self, remote: RemoteModel, control: DownloadControl | None = None) -> Iterator:
        """Download, then read the header so a broken file is reported now,
        not when it is first chosen."""
        for event in download(remote, self.models_dir, control, get_token(), self.settings.offline):
            result: DownloadResult | None = event.result if isinstance(event, Finished) else None
            if result is not None and result.status == "done" and result.path is not None:
                try:
                    self.guard.info_cache.inspect(result.path)
                except UserError as exc:
                    yield Failed(f"The download finished but the file is not a usable model: {exc.message}",
                                 exc.detail)
                    return
            yield event

    def remote(self, repo_or_id: str, file: str | None = None, quant: str | None = None) -> RemoteModel:
        """What to download for a catalog id or repo (its file for the
        quantization), or any Hub repo with a file name or quantization."""
        entry = find_entry(repo_or_id)
        if entry is not None:
            repo_or_id, file = entry.repo, file or entry.file_for(quant)
        return self.hub().model(repo_or_id, file=file, quant=quant)

    def paused(self) -> list[tuple[RemoteModel, int]]:
        return paused_downloads(self.models_dir)

    def discard(self, remote: RemoteModel) -> None:
        discard_download(remote, self.models_dir)
