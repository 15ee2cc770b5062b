"""Text to vectors. The default works offline from the first run: WordLlama's
small model (MIT, 256 dimensions, 16 MB) ships inside its wheel, so nothing is
downloaded; it averages trained token embeddings, fast enough that reading
documents, not embedding them, is the slow part of indexing. Any GGUF model
can embed too (the catalog's embedding models find passages by meaning
better), run by llama.cpp in a context of its own on the thread that indexes,
never on the chat model's."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from desktop_llm.core.errors import UserError

DEFAULT_EMBEDDER = "wordllama-256"
GGUF_PREFIX = "gguf:"  # a library's embedder "gguf:NAME" is the installed model NAME
GGUF_CTX = 2048  # tokens a passage may have (longer ones are cut): chunks are about 200


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...  # passages: unit-length rows

    def embed_query(self, text: str) -> np.ndarray: ...  # a question: one unit-length vector


def passage(heading: str, text: str) -> str:
    """What is embedded for a chunk: its heading path says what the passage is about."""
    return f"{heading}\n{text}" if heading else text


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


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
        return _unit(np.asarray(self._loaded().embed(texts), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class GgufEmbedder:
    """A GGUF model as an embedder: the model's own pooling when it names one (embedding models
    do), else the mean of its token embeddings; the prefixes its training used (from the catalog)."""

    def __init__(self, name: str, path: Path, query_prefix: str = "", document_prefix: str = "",
                 n_gpu_layers: int = 0):
        self.name = name
        self.path = Path(path)
        self.n_gpu_layers = n_gpu_layers
        self.query_prefix, self.document_prefix = query_prefix, document_prefix
        self._llm = None
        self._lock = threading.Lock()  # one llama.cpp context: one caller at a time

    def _loaded(self):
        if self._llm is None:
            import llama_cpp

            from desktop_llm.core.models.gguf import read_model_info

            try:
                trained = read_model_info(self.path).context_length  # BERT-like models know 512 positions only
            except UserError as exc:
                raise UserError(f"{self.path.name} cannot be loaded to embed passages: {exc.message}") from exc
            n_ctx = min(GGUF_CTX, trained) if trained else GGUF_CTX

            def load(pooling: int):
                return llama_cpp.Llama(model_path=str(self.path), embedding=True, n_ctx=n_ctx, n_batch=n_ctx,
                                       n_ubatch=n_ctx, n_gpu_layers=self.n_gpu_layers, pooling_type=pooling,
                                       verbose=False)
            try:
                llm = load(llama_cpp.LLAMA_POOLING_TYPE_UNSPECIFIED)
                if llm.pooling_type() == llama_cpp.LLAMA_POOLING_TYPE_NONE:
                    llm.close()  # a chat model: one vector per token, so average them
                    llm = load(llama_cpp.LLAMA_POOLING_TYPE_MEAN)
            except (ValueError, RuntimeError) as exc:
                raise UserError(f"{self.path.name} cannot be loaded to embed passages: {exc}. Choose another "
                                "embedding model, or download it again.") from exc
            self._llm = llm
        return self._llm

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            llm = self._loaded()
            vectors = llm.embed(texts, normalize=False, truncate=True)
        return _unit(np.asarray(vectors, dtype=np.float32))

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self._embed([self.document_prefix + t for t in texts])

    def measured(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Unit-length vectors of texts as given (no prefixes) and the tokens read; a text longer than
        the context is refused rather than cut (the API's embeddings)."""
        with self._lock:
            llm = self._loaded()
            counts = [len(llm.tokenize(t.encode("utf-8"))) for t in texts]
            if max(counts, default=0) > llm.n_ctx():
                raise UserError(f"A text to embed is longer than {llm.n_ctx()} tokens. Split it.")
            vectors = llm.embed(texts, normalize=False, truncate=False)
        return _unit(np.asarray(vectors, dtype=np.float32)), sum(counts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self.query_prefix + text])[0]

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


def embedder_for(name: str, model_path: Callable[[str], Path] | None = None) -> Embedder:
    """The embedder a library names: the built-in one, or "gguf:MODEL" (an installed model)."""
    if name == DEFAULT_EMBEDDER:
        return WordLlamaEmbedder()
    if name.startswith(GGUF_PREFIX) and model_path is not None:
        from desktop_llm.core.models.catalog import embedding_entry

        path = model_path(name.removeprefix(GGUF_PREFIX))
        entry = embedding_entry(path.name)
        return GgufEmbedder(name, path, entry.query_prefix if entry else "", entry.document_prefix if entry else "")
    raise UserError(f"The embedder “{name}” is not available here: it is neither the built-in one "
                    f"({DEFAULT_EMBEDDER}) nor an installed model.")
