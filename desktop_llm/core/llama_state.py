"""The live llama.cpp context's sequence state, taken and given back (for the
state cache), and Stop that acts inside llama.cpp's work on a prompt."""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from desktop_llm.core.state_cache import MIN_REUSE, SavedState


@contextmanager
def aborting(llm: Any, cancel: threading.Event) -> Iterator[None]:
    """llama.cpp asks between the steps of its work whether to stop: Stop acts within a batch
    (llama_decode then fails, and what was read before the batch is kept)."""
    import llama_cpp

    ctx = llm._ctx.ctx
    callback = llama_cpp.ggml_abort_callback(lambda _data: cancel.is_set())
    llama_cpp.llama_set_abort_callback(ctx, callback, None)
    try:
        yield
    finally:
        llama_cpp.llama_set_abort_callback(ctx, llama_cpp.ggml_abort_callback(), None)


def capture(llm: Any, identity: str) -> SavedState | None:
    """The live context's keys and values (sequence 0, no logits), with the tokens they hold."""
    import llama_cpp

    if llm.n_tokens < MIN_REUSE:
        return None
    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    # Copied by llama.cpp into a buffer nobody zeroes first, without Python's lock held: tens of MB copied
    # (twice) under the lock stalled the window for 20 ms at the end of every reply.
    buffer = np.empty(size, dtype=np.uint8)
    written = llama_cpp.llama_state_seq_get_data(ctx, _pointer(buffer), size, 0)
    if not written:
        return None
    tokens = np.asarray(llm.input_ids[: llm.n_tokens], dtype=np.int32).copy()
    return SavedState(identity, tokens, buffer[:written])


def _pointer(data: np.ndarray):
    return data.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))


def restore(llm: Any, state: SavedState) -> bool:
    """Put a saved state in the live context; False (and an empty context) if llama.cpp refuses it."""
    import llama_cpp

    ctx = llm._ctx.ctx
    memory = llama_cpp.llama_get_memory(ctx)
    # The cells are emptied, not zeroed: an empty cell is never attended to, and zeroing the whole
    # cache (every cell of the context, hundreds of MB for a large model) cost more than the restore.
    llama_cpp.llama_memory_clear(memory, False)
    data = np.frombuffer(state.data, dtype=np.uint8)  # as read from disk or kept in memory, not copied
    if not llama_cpp.llama_state_seq_set_data(ctx, _pointer(data), len(data), 0):
        llama_cpp.llama_memory_clear(memory, True)
        llm.n_tokens = 0
        return False
    llm.input_ids[: len(state.tokens)] = state.tokens
    llm.n_tokens = len(state.tokens)
    return True
