"""Files the app writes: atomic writes, tolerant JSON reads, the one rule
for saving what the user asked for, and the one mapping of disk errors to
messages a person can act on."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from desktop_llm.core.errors import ErrorKind, UserError


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file so a crash leaves either the old or the new content. The temporary
    file is private (0600) unless `mode` gives the permissions the file should have."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path, kind: type):
    """The JSON value stored in `path` when it is a `kind` (dict, list...);
    an empty `kind()` when the file is missing, unreadable or holds something else."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return kind()
    return data if isinstance(data, kind) else kind()


class FileLock:
    """An exclusive OS lock on a small file, tried without waiting. Another
    process, or another open of the same file in this process, is refused
    while it is held; the OS lets it go if the holder dies."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing lets the lock go, on every platform
            self._fd = None


def disk_error(exc: OSError | sqlite3.Error, what: str, then: str = "try again") -> UserError:
    """A disk failure while writing `what` (e.g. "the history", "report.docx")
    as a message that says what to do; `then` is how to carry on afterwards."""
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "full" in text:
        return UserError(f"The disk is full, so {what} could not be saved. Free some disk space and {then}.",
                         repr(exc), ErrorKind.RESOURCES)
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS) \
            or "readonly" in text or "read-only" in text:
        return UserError(f"Cannot write {what}: permission denied (or the disk is read-only). "
                         "Check its permissions, or choose a folder you can write to.", repr(exc))
    if "locked" in text or "busy" in text:
        return UserError(f"Cannot write {what}: the file is busy (another copy of desktop-llm may be "
                         "writing to it). Try again in a moment.", repr(exc))
    reason = getattr(exc, "strerror", None) or exc
    return UserError(f"Cannot write {what}: {reason}. Check the folder, then {then}.", repr(exc))


def refuse_source(path: Path, source: Path | None) -> None:
    """Refuse to write over `source`, the document a result was made from."""
    if source is not None and Path(path).resolve() == Path(source).resolve():
        raise UserError("That is the document itself: choose another name so the original is kept.")


def safe_filename(title: str, suffix: str, fallback: str) -> str:
    """A file name made from a title (letters, digits, spaces, - and _ kept)."""
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
    return f"{safe[:60] or fallback}.{suffix}"


def save_file(path: Path, data: bytes, source: Path | None = None) -> Path:
    """Write a file the user asked for, atomically and never over `source`
    (the document it was made from); a bad destination gives a clear message."""
    path = Path(path)
    refuse_source(path, source)
    if not path.parent.is_dir():
        raise UserError(f"The folder {path.parent} does not exist. Choose another place to save.")
    try:
        atomic_write_bytes(path, data, user_file_mode(path))
    except OSError as exc:
        raise disk_error(exc, path.name) from exc
    return path


def user_file_mode(path: Path) -> int:
    """The permissions a file the user asked for gets: those of the file it replaces, else
    what the user's umask gives any new file (0644 usually), as other programs would."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux says it without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
