"""Text to vectors, offline from the first run: WordLlama's small model (MIT,
256 dimensions, 16 MB) ships inside its wheel, so nothing is downloaded. It
averages trained token embeddings: fast enough that reading documents, not
embedding them, is the slow part of indexing."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from desktop_llm.core.errors import UserError

DEFAULT_EMBEDDER = "wordllama-256"


class WordLlamaEmbedder:
    name = DEFAULT_EMBEDDER
    dimensions = 256

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def _loaded(self):
        with self._lock:
            if self._model is None:
                spec = importlib.util.find_spec("wordllama")
                if spec is None or spec.origin is None:
                    raise UserError("The embedding model (wordllama) is not installed. Run `make setup` again.")
                from wordllama import WordLlama

                # The wheel carries the model; its own folder is the cache, and nothing is fetched.
                self._model = WordLlama.load(cache_dir=Path(spec.origin).parent, disable_download=True)
            return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(self._loaded().embed(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def embedder_for(name: str) -> WordLlamaEmbedder:
    if name != DEFAULT_EMBEDDER:
        raise UserError(f"The embedder “{name}” is not available here; libraries use {DEFAULT_EMBEDDER}.")
    return WordLlamaEmbedder()
