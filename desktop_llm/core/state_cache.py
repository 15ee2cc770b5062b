"""The model's memory of recent prompts (llama.cpp's KV cache of a sequence),
kept so that going back to a conversation reads only what is new instead of
the whole conversation again.

A saved state is the KV data of one token sequence, without logits (a
sequence's state from llama.cpp, not llama-cpp-python's `save_state`, which
copies the logits of a whole batch too). States live in memory up to a
budget, least recently used out first, and those of long prompts also on
disk (up to a budget of their own), so a long conversation reopened after a
restart is restored instead of read again. Every state is filed under its
model's identity — the file, its size and time, the context size, the GPU
layers and the llama.cpp build — so a state is only ever given back to the
model configuration that made it. Disk writes run on a thread of their own:
a reply never waits for them.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MIN_REUSE = 16  # tokens: a shorter shared start is not worth restoring a state for
DISK_MIN_TOKENS = 256  # states of shorter prompts stay in memory only (reading them again is quick)


@dataclass
class SavedState:
    identity: str
    tokens: np.ndarray  # int32: the tokens whose keys and values the state holds
    data: bytes | np.ndarray  # llama.cpp's sequence state (bytes of uint8)

    @property
    def size(self) -> int:
        return len(self.data) + self.tokens.nbytes

    @property
    def key(self) -> str:
        return _key(self.identity, self.tokens)


def _key(identity: str, tokens: np.ndarray) -> str:
    return hashlib.sha1(identity.encode() + b"\0" + tokens.astype(np.int32).tobytes()).hexdigest()[:24]


def shared_start(a: np.ndarray, b: np.ndarray) -> int:
    """How many tokens two sequences share from the start."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


def begins(start: np.ndarray, tokens: np.ndarray) -> bool:
    """Whether `tokens` begins with all of `start` (its state then holds the other's too)."""
    return len(start) <= len(tokens) and shared_start(start, tokens) == len(start)


class StateCache:
    def __init__(self, memory_bytes: int, folder: Path | None = None, disk_bytes: int = 0):
        self.memory_bytes = memory_bytes
        self.folder = Path(folder) if folder is not None and disk_bytes > 0 else None
        self.disk_bytes = disk_bytes
        self._memory: OrderedDict[str, SavedState] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        # identity -> (its folder's time when read, key -> tokens): read again when another process
        # (the command line beside the window) has saved states there since
        self._disk_index: dict[str, tuple[int, dict[str, np.ndarray]]] = {}
        self._writes: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None

    # -- finding ----------------------------------------------------------------------------------
    def find(self, identity: str, tokens: list[int]) -> tuple[SavedState, int] | None:
        """The saved state that shares the longest start with `tokens` (and how long), if worth it."""
        wanted = np.asarray(tokens, dtype=np.int32)
        best: tuple[SavedState | None, int, str] = (None, MIN_REUSE - 1, "")
        with self._lock:
            for kept in self._memory.values():
                if kept.identity == identity:
                    n = shared_start(kept.tokens, wanted)
                    if n > best[1]:
                        best = (kept, n, "")
            for key, saved in self._disk_tokens(identity).items():
                n = shared_start(saved, wanted)
                if n > best[1] and key not in self._memory:
                    best = (None, n, key)
            state, n, disk_key = best
            if state is not None:
                self._memory.move_to_end(state.key)
                return state, n
        if disk_key:
            read = self._read(identity, disk_key)
            if read is not None:
                self._remember(read)
                return read, n
        return None

    # -- keeping ----------------------------------------------------------------------------------
    def put(self, state: SavedState) -> None:
        """Keep a state (it replaces the states of prompts it begins with: it holds them all)."""
        self._remember(state)
        if self.folder is not None and len(state.tokens) >= DISK_MIN_TOKENS:
            self._start_writer()
            self._writes.put(state)

    def _remember(self, state: SavedState) -> None:
        with self._lock:
            for key, old in list(self._memory.items()):
                if old.identity == state.identity and begins(old.tokens, state.tokens):
                    self._drop(key)
            if state.key in self._memory:
                self._drop(state.key)
            self._memory[state.key] = state
            self._used += state.size
            while self._used > self.memory_bytes and self._memory:
                self._drop(next(iter(self._memory)))

    def _drop(self, key: str) -> None:
        self._used -= self._memory.pop(key).size

    @property
    def memory_used(self) -> int:
        return self._used

    def __len__(self) -> int:
        return len(self._memory)

    # -- disk ---------------------------------------------------------------------------------------
    def _folder_for(self, identity: str) -> Path:
        assert self.folder is not None
        return self.folder / hashlib.sha1(identity.encode()).hexdigest()[:16]

    def _disk_tokens(self, identity: str) -> dict[str, np.ndarray]:
        """The token lists of the states on disk for this identity (the caller holds the lock)."""
        if self.folder is None:
            return {}
        folder = self._folder_for(identity)
        try:
            stamp = folder.stat().st_mtime_ns
        except OSError:
            stamp = 0
        if self._disk_index.get(identity, (None, None))[0] != stamp:
            index: dict[str, np.ndarray] = {}
            for path in folder.glob("*.tokens") if stamp else ():
                try:
                    index[path.stem] = np.fromfile(path, dtype=np.int32)
                except OSError:
                    continue
            self._disk_index[identity] = (stamp, index)
        return self._disk_index[identity][1]

    def _read(self, identity: str, key: str) -> SavedState | None:
        folder = self._folder_for(identity)
        try:
            tokens = np.fromfile(folder / f"{key}.tokens", dtype=np.int32)
            data = (folder / f"{key}.kv").read_bytes()
        except OSError as exc:
            log.info("a saved model state could not be read (%s): reading the prompt instead", exc)
            self.forget_on_disk(identity, key)
            return None
        return SavedState(identity, tokens, data)

    def forget_on_disk(self, identity: str, key: str) -> None:
        """A state that is gone or would not load: not offered again."""
        with self._lock:
            self._disk_tokens(identity).pop(key, None)
        for suffix in (".tokens", ".kv"):
            (self._folder_for(identity) / f"{key}{suffix}").unlink(missing_ok=True)

    def _start_writer(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="state-cache-writer", daemon=True)
            self._writer.start()

    def _write_loop(self) -> None:
        while True:
            state = self._writes.get()
            try:
                self._write(state)
            except OSError as exc:  # a full disk: the cache is only a cache
                log.info("a model state was not saved to disk: %s", exc)
            finally:
                self._writes.task_done()

    def _write(self, state: SavedState) -> None:
        folder = self._folder_for(state.identity)
        folder.mkdir(parents=True, exist_ok=True)
        key = state.key
        kv = np.frombuffer(state.data, dtype=np.uint8).data  # as it is: a copy would hold Python's lock
        for suffix, payload in ((".kv", kv), (".tokens", memoryview(state.tokens.astype(np.int32).tobytes()))):
            part = folder / f"{key}{suffix}.part"
            part.write_bytes(payload)
            part.replace(folder / f"{key}{suffix}")  # the tokens last: a state is listed only once whole
        with self._lock:
            index = self._disk_tokens(state.identity)
            for old_key, old in list(index.items()):  # a state this one begins with is no longer needed
                if old_key != key and begins(old, state.tokens):
                    index.pop(old_key)
                    for suffix in (".tokens", ".kv"):
                        (folder / f"{old_key}{suffix}").unlink(missing_ok=True)
            index[key] = state.tokens
        self._trim_disk()

    def _trim_disk(self) -> None:
        """The oldest states out until the folder is within its budget (stray parts too)."""
        assert self.folder is not None
        files = [p for p in self.folder.glob("*/*") if p.is_file()]
        for part in [p for p in files if p.suffix == ".part"]:
            part.unlink(missing_ok=True)
        states = sorted((p for p in files if p.suffix == ".kv"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in states)
        for kv in states:
            if total <= self.disk_bytes:
                break
            total -= kv.stat().st_size
            with self._lock:
                for _stamp, index in self._disk_index.values():
                    index.pop(kv.stem, None)
            kv.with_suffix(".tokens").unlink(missing_ok=True)
            kv.unlink(missing_ok=True)

    def flush(self) -> None:
        """Wait until the states handed over so far are on disk."""
        if self._writer is not None:
            self._writes.join()
