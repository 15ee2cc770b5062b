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
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.events import Failed, Finished
from desktop_llm.core.files import atomic_write_text, read_json
from desktop_llm.core.models.hub import OFFLINE_MESSAGE, RemoteFile, RemoteModel, access_error, endpoint

CHUNK = 256 << 10  # a cut loses at most one unfinished chunk
SYNC_EVERY = 256 << 20  # bytes between fsyncs (and state updates): what a power cut may cost...
SYNC_EVERY_S = 1.0  # ...or seconds, whichever comes first
PROGRESS_EVERY_S = 0.1
DISK_MARGIN = 200 << 20  # keep this much free after the download
STATE_SUFFIX = ".part.json"


@dataclass(frozen=True)
class Transfer:
    """Progress of a download: bytes so far, speed and time left."""

    file: str
    done: int
    total: int
    speed: float  # bytes per second over the last seconds
    eta_s: float | None

    @property
    def label(self) -> str:
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


def format_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def format_duration(s: float) -> str:
    s = int(s)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def repo_folder(models_dir: Path, repo: str) -> Path:
    return Path(models_dir) / repo.replace("/", "__")


def part_paths(final: Path) -> tuple[Path, Path]:
    return final.with_name(final.name + ".part"), final.with_name(final.name + STATE_SUFFIX)


class _BackgroundHash:
    """sha256 on its own thread, so hashing overlaps the network and the disk
    (hashlib releases the GIL on large buffers)."""

    def __init__(self, hasher=None):
        self.hasher = hasher or hashlib.sha256()
        self._queue: queue.Queue = queue.Queue(maxsize=256)
        self._thread = threading.Thread(target=self._run, name="download-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (block := self._queue.get()) is not None:
            self.hasher.update(block)

    def update(self, block: bytes) -> None:
        self._queue.put(block)

    def result(self):
        self._queue.put(None)
        self._thread.join()
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


def _discard(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def check_disk_space(folder: Path, needed: int) -> None:
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed + DISK_MARGIN > free:
        raise UserError(
            f"Not enough disk space: this download needs {format_size(needed)} more, but only "
            f"{format_size(free)} is free on the drive holding {folder}. Free some space or "
            "remove models you no longer use, then try again."
        )


def _in_place(final: Path, part: RemoteFile) -> bool:
    return final.exists() and final.stat().st_size == part.size


def _synced_bytes(final: Path, part: RemoteFile) -> int:
    """Bytes of `part` safely on disk in its .part file: 0 unless the state
    beside it describes this very file and the part holds that much."""
    part_file, state_file = part_paths(final)
    state = read_json(state_file, dict)
    if (state.get("sha256"), state.get("size"), state.get("file")) != (part.sha256, part.size, part.name):
        return 0
    synced = int(state.get("synced", 0))
    if not part_file.exists() or synced > part_file.stat().st_size or synced > part.size:
        return 0
    return synced


def pending_bytes(final: Path, part: RemoteFile) -> int:
    """Bytes still to fetch for one file (0 when it is already in place)."""
    return 0 if _in_place(final, part) else part.size - _synced_bytes(final, part)


def download(remote: RemoteModel, models_dir: Path, control: DownloadControl | None = None,
             token: str | None = None, offline: bool = False) -> Iterator:
    """Fetch every part of `remote` into the models folder, yielding Transfer
    events, then Finished(DownloadResult) or Failed(message)."""
    control = control or DownloadControl()
    try:
        if offline:
            raise UserError(OFFLINE_MESSAGE)
        folder = repo_folder(models_dir, remote.repo)
        finals = [folder / Path(p.name).name for p in remote.parts]
        check_disk_space(folder, sum(pending_bytes(f, p) for f, p in zip(finals, remote.parts)))
        folder.mkdir(parents=True, exist_ok=True)
        done_before, resumed_from, transferred = 0, 0, 0
        for final, part in zip(finals, remote.parts):
            if _in_place(final, part):
                done_before += part.size
                continue
            fetch = _FileTransfer(remote, part, final, token, control)
            for event in fetch.run():
                yield Transfer(remote.name, done_before + event.done, remote.size, event.speed,
                               _eta(remote.size - done_before - event.done, event.speed))
            resumed_from += fetch.resumed_from
            transferred += fetch.transferred
            if control.stopped:
                yield Finished(DownloadResult("paused", None, remote.repo, remote.name,
                                              resumed_from, transferred))
                return
            done_before += part.size
        yield Finished(DownloadResult("done", finals[0], remote.repo, remote.name, resumed_from, transferred))
    except UserError as exc:
        yield Failed(exc.message, exc.detail)
    except OSError as exc:
        yield Failed(_disk_message(exc), repr(exc))


def _eta(remaining: int, speed: float) -> float | None:
    return remaining / speed if speed > 0 else None


def _disk_message(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return ("The disk is full. The partial download is kept; free some space and press "
                "Resume to carry on.")
    return f"Could not write the model file: {exc.strerror or exc}. Check the models folder and try again."


class _FileTransfer:
    """One file: Range-resume into .part, fsync + state every SYNC_EVERY bytes,
    sha256 over the whole file, rename into place."""

    def __init__(self, remote: RemoteModel, part: RemoteFile, final: Path, token: str | None,
                 control: DownloadControl):
        self.remote, self.part, self.final, self.token, self.control = remote, part, final, token, control
        self.part_file, self.state_file = part_paths(final)
        self.resumed_from = 0
        self.transferred = 0

    def _state(self, synced: int) -> dict:
        return {"file": self.part.name, "size": self.part.size, "sha256": self.part.sha256, "synced": synced,
                "model": {"repo": self.remote.repo, "commit": self.remote.commit,
                          "parts": [asdict(p) for p in self.remote.parts]}}

    def _resume_offset(self) -> int:
        synced = _synced_bytes(self.final, self.part)
        if synced == 0:
            _discard(self.part_file)
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
        atomic_write_text(self.state_file, json.dumps(self._state(offset)))
        if offset < self.part.size:
            offset, hasher = yield from self._fetch(offset, hasher)
            if self.control.stopped:
                return
        self._verify(offset, hasher)

    def _open(self, offset: int) -> "_HttpStream":
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers

        url = hf_hub_url(self.remote.repo, self.part.name, revision=self.remote.commit, endpoint=endpoint())
        headers = build_hf_headers(token=self.token)
        headers["Accept-Encoding"] = "identity"
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = _HttpStream.open(url, headers)
        except OSError as exc:
            raise UserError("The download could not start: the Hub cannot be reached. Check your "
                            "connection; press Resume (or run the command again) to carry on.",
                            detail=repr(exc)) from exc
        status = response.status
        if status in (200, 206):
            return response
        response.close()
        if status in (401, 403):
            raise access_error(self.remote.repo, f"HTTP {status}")
        if status == 404:
            raise NotFound(f"{self.part.name} is no longer in {self.remote.repo}.")
        raise UserError(f"The Hub answered {status} for {self.part.name}. Try again later.")

    def _fetch(self, offset: int, hasher) -> Iterator[Transfer]:
        response = self._open(offset)
        if offset and response.status == 200:  # the server ignored Range: start over
            offset, hasher = 0, hashlib.sha256()
            _discard(self.part_file)
        background = _BackgroundHash(hasher)
        try:
            speed = _Speed()
            last_progress = 0.0
            synced, synced_at = offset, time.monotonic()
            with open(self.part_file, "ab") as out:
                while offset < self.part.size and not self.control.stopped:
                    try:
                        block = response.read(CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        block, cut = b"", exc
                    else:
                        cut = None if block else EOFError("connection closed early")
                    if block:
                        out.write(block)
                        background.update(block)
                        offset += len(block)
                        self.transferred += len(block)
                    if cut is not None:
                        self._sync(out, offset)
                        raise UserError(
                            f"The connection dropped after {format_size(offset)} of "
                            f"{format_size(self.part.size)}. What arrived is kept: press Resume (or run "
                            "the command again) to carry on from there.", detail=repr(cut))
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
            hasher = background.result()
        return offset, hasher

    def _sync(self, out, offset: int) -> int:
        out.flush()
        os.fsync(out.fileno())
        atomic_write_text(self.state_file, json.dumps(self._state(offset)))
        return offset

    def _verify(self, offset: int, hasher) -> None:
        if offset != self.part.size:
            raise UserError(f"{self.part.name} arrived incomplete ({format_size(offset)} of "
                            f"{format_size(self.part.size)}). Press Resume to fetch the rest.")
        if self.part.sha256 and hasher.hexdigest() != self.part.sha256.lower():
            _discard(self.part_file, self.state_file)
            raise UserError(
                f"{self.part.name} was damaged in transit: its checksum does not match the Hub's "
                "(sha256). The damaged file was discarded; download it again.",
                detail=f"expected {self.part.sha256}, got {hasher.hexdigest()}")
        os.replace(self.part_file, self.final)
        _discard(self.state_file)


class _HttpStream:
    """A plain streaming GET (http.client: several times faster than the
    Hub's client on big bodies). Redirects are followed; the Authorization
    header is dropped when a redirect leaves the Hub's host (to a CDN)."""

    MAX_REDIRECTS = 5
    TIMEOUT_S = 30

    def __init__(self, connection, response):
        self.connection = connection
        self.response = response
        self.status = response.status

    @classmethod
    def open(cls, url: str, headers: dict) -> "_HttpStream":
        from urllib.parse import urljoin, urlsplit

        origin = urlsplit(url).netloc
        for _ in range(cls.MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = conn_class(parts.netloc, timeout=cls.TIMEOUT_S)
            sent = dict(headers)
            if parts.netloc != origin:
                sent.pop("authorization", None)
                sent.pop("Authorization", None)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", path, headers=sent)
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                response.close()
                connection.close()
                continue
            return cls(connection, response)
        raise OSError("too many redirects")

    def read(self, n: int) -> bytes:
        return self.response.read(n)

    def close(self) -> None:
        self.response.close()
        self.connection.close()


def discard_download(remote: RemoteModel, models_dir: Path) -> None:
    """Cancel for good: delete what arrived of every part (and, for a split
    model left incomplete, the parts already in place)."""
    folder = repo_folder(models_dir, remote.repo)
    finals = [folder / Path(p.name).name for p in remote.parts]
    complete = all(_in_place(f, p) for f, p in zip(finals, remote.parts))
    for final in finals:
        _discard(*part_paths(final))
        if not complete and len(finals) > 1:
            _discard(final)
    try:
        folder.rmdir()  # the repo folder, once empty
    except OSError:
        pass


def paused_downloads(models_dir: Path) -> list[tuple[RemoteModel, int]]:
    """Unfinished downloads left on disk (paused, crashed, cut): the model
    and the bytes already safely stored."""
    found: dict[tuple, list] = {}
    for state_file in Path(models_dir).glob(f"*/*{STATE_SUFFIX}"):
        state = read_json(state_file, dict)
        model = state.get("model")
        if not isinstance(model, dict):
            continue
        try:
            parts = tuple(RemoteFile(**p) for p in model["parts"])
            remote = RemoteModel(model["repo"], model["commit"], parts)
        except (KeyError, TypeError):
            continue
        found.setdefault((remote.repo, remote.name), [remote, 0])[1] += int(state.get("synced", 0))
    result = []
    for remote, synced in found.values():
        folder = repo_folder(models_dir, remote.repo)
        complete = sum(p.size for p in remote.parts if (folder / Path(p.name).name).exists())
        result.append((remote, synced + complete))
    return result
