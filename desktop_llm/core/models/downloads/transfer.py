"""Downloading a model: resumable, verified, honest about space and speed.

huggingface_hub does not resume across restarts nor check sha256, so the
transfer is ours: an HTTP Range request appends to `<file>.part`; beside it
`<file>.part.json` records what is being fetched and how many bytes are safely
on disk (fsynced). After a crash, a reboot or a pause the next run carries on
from there. The whole file's sha256 must equal the Hub's LFS sha256 before
the file is renamed into place; a mismatch discards the part.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Generator, Iterator

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.events import Failed, Finished
from desktop_llm.core.files import FileLock, atomic_write_text, disk_error
from desktop_llm.core.models.downloads.partfile import (
    check_disk_space,
    discard,
    in_place,
    lock_path,
    part_paths,
    pending_bytes,
    repo_folder,
    synced_bytes,
)
from desktop_llm.core.models.downloads.transport import HttpStream
from desktop_llm.core.models.hub import OFFLINE_MESSAGE, RemoteFile, RemoteModel, access_error, endpoint
from desktop_llm.core.units import format_duration, format_size

CHUNK = 256 << 10  # a cut loses at most one unfinished chunk
SYNC_EVERY = 256 << 20  # bytes between fsyncs (and state updates): what a power cut may cost...
SYNC_EVERY_S = 1.0  # ...or seconds, whichever comes first
PROGRESS_EVERY_S = 0.1
RETRY_DELAYS = (2.0, 4.0, 8.0, 16.0, 30.0)  # after a drop, connect again after these waits (a minute in all)
# What a person does after a failure; what arrived is kept.
RESUME = "resume the download (Resume in the Downloads window, or run the same command again)"


@dataclass(frozen=True)
class Transfer:
    """Progress of a download: bytes so far, speed and time left."""

    file: str
    done: int
    total: int
    speed: float  # bytes per second over the last seconds
    eta_s: float | None
    note: str = ""  # what is happening instead of the transfer (waiting to connect again)

    @property
    def label(self) -> str:
        if self.note:
            return f"{format_size(self.done)} of {format_size(self.total)}: {self.note}"
        eta = "" if self.eta_s is None else f", {format_duration(self.eta_s)} left"
        return f"{format_size(self.done)} of {format_size(self.total)}, {format_size(self.speed)}/s{eta}"


@dataclass(frozen=True)
class DownloadResult:
    status: str  # "done" or "paused"
    path: Path | None
    repo: str
    name: str
    resumed_from: int = 0  # bytes already on disk when this run started
    transferred: int = 0  # bytes received in this run


class DownloadControl:
    """Pause a running download from another thread (what arrived is kept)."""

    def __init__(self):
        self._stop = threading.Event()

    def pause(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


class _FileHash:
    """sha256 of the part file as it is on disk, read back on its own thread
    right behind the writer (from the page cache), so hashing overlaps the
    network; what is checked is what will be renamed into place, never the
    stream that came in."""

    def __init__(self, path: Path, hasher, hashed: int):
        self.hasher, self.hashed = hasher, hashed
        self._file = open(path, "rb")  # closed by result()
        self._file.seek(hashed)
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="download-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (upto := self._queue.get()) is not None:
            while self.hashed < upto and (block := self._file.read(min(CHUNK * 8, upto - self.hashed))):
                self.hasher.update(block)
                self.hashed += len(block)

    def advance(self, upto: int) -> None:
        """The file holds `upto` bytes now (written and flushed)."""
        self._queue.put(upto)

    def result(self):
        self._queue.put(None)
        self._thread.join()
        self._file.close()
        return self.hasher


class _Speed:
    """Bytes per second over a sliding window of a few seconds."""

    def __init__(self, window_s: float = 3.0):
        self.window_s = window_s
        self.samples: list[tuple[float, int]] = []

    def add(self, received_total: int) -> float:
        now = time.monotonic()
        self.samples.append((now, received_total))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window_s:
            self.samples.pop(0)
        (t0, b0), (t1, b1) = self.samples[0], self.samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


def download(remote: RemoteModel, models_dir: Path, control: DownloadControl | None = None,
             token: str | None = None, offline: bool = False) -> Iterator:
    """Fetch every part of `remote` into the models folder, yielding Transfer
    events, then Finished(DownloadResult) or Failed(message)."""
    control = control or DownloadControl()
    lock = FileLock(lock_path(models_dir, remote))
    try:
        if offline:
            raise UserError(OFFLINE_MESSAGE)
        if not lock.acquire():  # one writer per part file, across windows and commands
            raise UserError(f"{remote.name} is being downloaded already (in the window or by another "
                            "desktop-llm command). Wait for that download to end; a paused one is resumed "
                            "from what arrived.")
        folder = repo_folder(models_dir, remote.repo)
        finals = [folder / Path(p.name).name for p in remote.parts]
        check_disk_space(folder, sum(pending_bytes(f, p) for f, p in zip(finals, remote.parts)))
        folder.mkdir(parents=True, exist_ok=True)
        done_before, resumed_from, transferred = 0, 0, 0
        for final, part in zip(finals, remote.parts):
            if in_place(final, part):
                done_before += part.size
                continue
            fetch = _FileTransfer(remote, part, final, token, control)
            for event in fetch.run():
                yield Transfer(remote.name, done_before + event.done, remote.size, event.speed,
                               _eta(remote.size - done_before - event.done, event.speed), event.note)
            resumed_from += fetch.resumed_from
            transferred += fetch.transferred
            if control.stopped:
                yield Finished(DownloadResult("paused", None, remote.repo, remote.name,
                                              resumed_from, transferred))
                return
            done_before += part.size
        yield Finished(DownloadResult("done", finals[0], remote.repo, remote.name, resumed_from, transferred))
    except UserError as exc:
        yield Failed.of(exc)
    except OSError as exc:
        yield Failed.of(disk_error(exc, f"{remote.name} (what arrived is kept)", RESUME))
    finally:
        lock.release()


def _eta(remaining: int, speed: float) -> float | None:
    return remaining / speed if speed > 0 else None


class _FileTransfer:
    """One file: Range-resume into .part, fsync + state every SYNC_EVERY bytes,
    sha256 over the whole file, rename into place."""

    def __init__(self, remote: RemoteModel, part: RemoteFile, final: Path, token: str | None,
                 control: DownloadControl):
        self.remote, self.part, self.final, self.token, self.control = remote, part, final, token, control
        self.part_file, self.state_file = part_paths(final)
        self.resumed_from = 0
        self.transferred = 0
        self.failures = 0  # tries to connect again since bytes last arrived

    def _state(self, synced: int) -> dict:
        return {"file": self.part.name, "size": self.part.size, "sha256": self.part.sha256, "synced": synced,
                "model": {"repo": self.remote.repo, "commit": self.remote.commit,
                          "parts": [asdict(p) for p in self.remote.parts]}}

    def _resume_offset(self) -> int:
        synced = synced_bytes(self.final, self.part)
        if synced == 0:
            discard(self.part_file)
        else:  # bytes after the last fsync may not have reached the disk: drop them
            os.truncate(self.part_file, synced)
        return synced

    def run(self) -> Iterator[Transfer]:
        offset = self._resume_offset()
        self.resumed_from = offset
        hasher = hashlib.sha256()
        if offset:
            with open(self.part_file, "rb") as f:
                while block := f.read(CHUNK * 8):
                    hasher.update(block)
        if offset < self.part.size:
            offset, hasher = yield from self._fetch(offset, hasher)
            if self.control.stopped:
                return
        self._verify(offset, hasher)

    def _open(self, offset: int) -> HttpStream:
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers

        url = hf_hub_url(self.remote.repo, self.part.name, revision=self.remote.commit, endpoint=endpoint())
        headers = build_hf_headers(token=self.token)
        headers["Accept-Encoding"] = "identity"
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = HttpStream.open(url, headers)
        except OSError as exc:
            raise UserError("The download could not start: the Hub cannot be reached. Check your "
                            f"connection, then {RESUME}.",
                            detail=repr(exc)) from exc
        status = response.status
        if status in (200, 206):
            return response
        response.close()
        if status in (401, 403):
            raise access_error(self.remote.repo, self.token is not None, f"HTTP {status}")
        if status == 404:
            raise NotFound(f"{self.part.name} is no longer in {self.remote.repo}.")
        raise UserError(f"The Hub answered {status} for {self.part.name}. Try again later.")

    def _fetch(self, offset: int, hasher) -> Generator[Transfer, None, tuple[int, Any]]:
        response = self._open(offset)  # refused (no access, gone...): no state file is left behind
        if offset and response.status == 200:  # the server ignored Range: start over
            offset, hasher = 0, hashlib.sha256()
            discard(self.part_file)
        atomic_write_text(self.state_file, json.dumps(self._state(offset)))
        file_hash = None
        try:
            speed = _Speed()
            last_progress = 0.0
            synced, synced_at = offset, time.monotonic()
            with open(self.part_file, "ab") as out:
                file_hash = _FileHash(self.part_file, hasher, offset)  # the file exists now
                while offset < self.part.size and not self.control.stopped:
                    cut: Exception | None = None
                    try:
                        block = response.read(CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        block, cut = b"", exc
                    if not block and cut is None:
                        cut = EOFError("connection closed early")
                    if block:
                        self.failures = 0
                        out.write(block)
                        out.flush()
                        offset += len(block)
                        file_hash.advance(offset)
                        self.transferred += len(block)
                    if cut is not None:  # carry on by itself from what arrived, after a wait, a few times
                        self._sync(out, offset)
                        response.close()
                        again = yield from self._reconnect(offset, cut)
                        if again is None:  # paused or cancelled while it waited
                            break
                        response = again
                        continue
                    now = time.monotonic()
                    if offset - synced >= SYNC_EVERY or now - synced_at >= SYNC_EVERY_S:
                        synced, synced_at = self._sync(out, offset), now
                    if now - last_progress >= PROGRESS_EVERY_S:
                        last_progress = now
                        yield Transfer(self.part.name, offset, self.part.size, speed.add(offset), None)
                self._sync(out, offset)
            yield Transfer(self.part.name, offset, self.part.size, speed.add(offset), None)
        finally:
            response.close()
            if file_hash is not None:
                hasher = file_hash.result()
        return offset, hasher

    def _reconnect(self, offset: int, cut: BaseException) -> Generator[Transfer, None, HttpStream | None]:
        """After a dropped connection: wait, then ask again from `offset` (nothing is sent twice),
        RETRY_DELAYS apart. None when paused meanwhile; the drop's message when every try failed."""
        while self.failures < len(RETRY_DELAYS):
            delay = RETRY_DELAYS[self.failures]
            self.failures += 1
            attempt = self.failures
            until = time.monotonic() + delay
            while (left := until - time.monotonic()) > 0:
                if self.control.stopped:
                    return None
                yield Transfer(self.part.name, offset, self.part.size, 0.0, None,
                               f"the connection dropped; trying again in {left:.0f} s "
                               f"({attempt} of {len(RETRY_DELAYS)})")
                time.sleep(min(0.25, left))
            try:
                response = self._open(offset)
            except NotFound:
                raise
            except UserError as exc:  # still out of reach: the next try
                cut = exc
                continue
            if response.status == 206:
                return response
            response.close()  # the server no longer honours Range: stop here, keeping what arrived
            break
        raise UserError(f"The connection dropped after {format_size(offset)} of {format_size(self.part.size)} "
                        f"and did not come back. What arrived is kept: {RESUME}.", detail=repr(cut))

    def _sync(self, out, offset: int) -> int:
        out.flush()
        os.fsync(out.fileno())
        atomic_write_text(self.state_file, json.dumps(self._state(offset)))
        return offset

    def _verify(self, offset: int, hasher) -> None:
        if offset != self.part.size:
            raise UserError(f"{self.part.name} arrived incomplete ({format_size(offset)} of "
                            f"{format_size(self.part.size)}): {RESUME}.")
        on_disk = self.part_file.stat().st_size
        if on_disk != self.part.size:  # the checksum covers the file's first `size` bytes: nothing may follow
            discard(self.part_file, self.state_file)
            raise UserError(f"{self.part.name} changed on disk while it was downloaded (another program wrote "
                            "to it). It was discarded; download it again.",
                            detail=f"{on_disk} bytes on disk, {self.part.size} expected")
        if self.part.sha256 and hasher.hexdigest() != self.part.sha256.lower():
            discard(self.part_file, self.state_file)
            raise UserError(
                f"{self.part.name} was damaged in transit: its checksum does not match the Hub's "
                "(sha256). The damaged file was discarded; download it again.",
                detail=f"expected {self.part.sha256}, got {hasher.hexdigest()}")
        os.replace(self.part_file, self.final)
        discard(self.state_file)
