"""Cheap checks before a request reaches the one model: a prompt surely
longer than the context is refused at once (400 context_length_exceeded)
instead of holding the model while its template is rendered; too many
messages are refused; one client cannot queue more than a few requests.

Token counts come from a vocabulary-only copy of the model (loaded in a
fraction of a second, no weights), so they run beside the model host
without touching the loaded model. Long texts are counted in pieces and
counting stops once the context is exceeded: a 2 MB body costs little."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from desktop_llm.core.models import LocalModel, ModelRef
from desktop_llm.core.server.requests import ApiError

MAX_MESSAGES = 4096  # more turns than any context holds
MAX_QUEUED_PER_CLIENT = 8  # requests one client may have waiting or running
PIECE_CHARS = 16 << 10  # text counted at a time
PIECE_SLACK = 2  # tokens a cut between pieces may add: subtracted, so the count stays a lower bound


class PromptLimits:
    def __init__(self) -> None:
        self._vocabs: dict[Path, Any] = {}
        self._lock = threading.Lock()
        self._queued: Counter[str] = Counter()

    def _vocab(self, path: Path):
        with self._lock:
            if path not in self._vocabs:
                import llama_cpp  # only when a request is checked (start-up stays fast)

                # a vocabulary without weights has no trained context: llama.cpp's warning about it is noise
                logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)

                self._vocabs = {path: llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False,
                                                      n_ctx=16, n_batch=16)}
            return self._vocabs[path]

    def check(self, model: ModelRef, n_ctx: int, texts: list[str]) -> None:
        """Refuse `texts` (the messages' contents, or a prompt) when they surely
        hold more tokens than the context. Runs off the event loop."""
        if len(texts) > MAX_MESSAGES:
            raise ApiError(400, f"Too many messages ({len(texts):,}); at most {MAX_MESSAGES:,} are taken.",
                           param="messages")
        if not isinstance(model, LocalModel):
            return  # a remote server counts its own
        vocab = self._vocab(model.path)
        tokens = 0
        for text in texts:
            for start in range(0, len(text), PIECE_CHARS):
                piece = text[start:start + PIECE_CHARS].encode("utf-8")
                tokens += max(0, len(vocab.tokenize(piece, add_bos=False, special=False)) - PIECE_SLACK)
                if tokens > n_ctx:
                    raise ApiError(400, f"The prompt is too long for the model's context (more than {n_ctx:,} "
                                        "tokens). Shorten it, or leave out older messages.",
                                   "context_length_exceeded", "messages")

    def admit(self, client: str) -> None:
        """Count a request of `client` that will wait or run; refuse one too many (429).
        Every admitted request is released once, when it ends."""
        with self._lock:
            if self._queued[client] >= MAX_QUEUED_PER_CLIENT:
                raise ApiError(429, f"You have {MAX_QUEUED_PER_CLIENT} requests waiting for the model already. "
                                    "Wait for one to finish.", "rate_limit_exceeded")
            self._queued[client] += 1

    def release(self, client: str) -> None:
        with self._lock:
            self._queued[client] -= 1
