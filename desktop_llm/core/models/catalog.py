"""The curated catalog: a short list of good open instruct models for writing
and translation, and embedding models for libraries (resources/catalog.json).
Sizes and checksums are not stored here; they come from the Hub when a file
is chosen."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from desktop_llm.core.errors import NotFound
from desktop_llm.core.paths import resources_dir

# Approximate bits per weight of common llama.cpp quantizations: used to
# estimate a file's size before the Hub is asked (offline browsing).
BITS_PER_WEIGHT = {
    "Q2_K": 3.0, "Q3_K_S": 3.5, "Q3_K_M": 3.9, "Q3_K_L": 4.3, "Q4_0": 4.55, "Q4_1": 5.0,
    "Q4_K_S": 4.6, "Q4_K_M": 4.85, "Q5_0": 5.5, "Q5_1": 6.0, "Q5_K_S": 5.55, "Q5_K_M": 5.7,
    "Q6_K": 6.6, "Q8_0": 8.5, "F16": 16.0, "BF16": 16.0, "F32": 32.0,
    "IQ2_XS": 2.4, "IQ3_M": 3.7, "IQ4_XS": 4.3, "IQ4_NL": 4.6,
}


@dataclass(frozen=True)
class Architecture:
    """What the KV cache size depends on."""

    layers: int
    kv_heads: int
    head_dim: int

    def kv_cache_bytes(self, n_ctx: int, bytes_per_value: float = 2.0) -> int:
        """Keys and values (f16 unless told) for every layer and context position."""
        return int(2 * self.layers * self.kv_heads * self.head_dim * n_ctx * bytes_per_value)


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    repo: str
    files: dict  # quantization -> file name in the repo
    default_quant: str
    parameters: str
    parameter_count: int
    context_length: int
    license: str
    languages: tuple
    good_for: str
    architecture: Architecture
    kind: str = "chat"  # or "embedding": a model that turns text into vectors for libraries, not one to chat with
    query_prefix: str = ""  # what an embedding model wants before a question...
    document_prefix: str = ""  # ...and before a passage (as it was trained)

    def file_for(self, quant: str | None = None) -> str:
        quant = (quant or self.default_quant).upper()
        if quant not in self.files:
            raise NotFound(f"{self.name} has no {quant} file. Choose one of: {', '.join(self.files)}.")
        return self.files[quant]

    def estimated_size(self, quant: str | None = None) -> int:
        bits = BITS_PER_WEIGHT.get((quant or self.default_quant).upper(), 5.0)
        return int(self.parameter_count * bits / 8)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "repo": self.repo, "files": dict(self.files),
            "default_quant": self.default_quant, "parameters": self.parameters,
            "context_length": self.context_length, "license": self.license,
            "languages": list(self.languages), "good_for": self.good_for, "kind": self.kind,
        }


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    return list(_load(path or resources_dir() / "catalog.json"))


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[CatalogEntry, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = []
    for raw in data["models"]:
        raw = dict(raw)
        raw["architecture"] = Architecture(**raw["architecture"])
        raw["languages"] = tuple(raw["languages"])
        entries.append(CatalogEntry(**raw))
    return tuple(entries)


def find_entry(key: str, catalog: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """A catalog entry by id or repo (case-insensitive)."""
    key = key.strip().lower()
    for entry in catalog or load_catalog():
        if key in (entry.id.lower(), entry.repo.lower()):
            return entry
    return None


def embedding_entry(file_name: str) -> CatalogEntry | None:
    """The catalog's embedding model a GGUF file is (by its file name, or its family's id in it)."""
    name = file_name.lower()
    for entry in load_catalog():
        if entry.kind == "embedding" and (file_name in entry.files.values() or entry.id in name):
            return entry
    return None
