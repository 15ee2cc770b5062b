"""Where a download keeps what arrived: `<file>.part` and, beside it,
`<file>.part.json` recording what is fetched and how many bytes are safely on
disk. Also what is left unfinished, and the room it needs."""

from __future__ import annotations

import shutil
from pathlib import Path

from desktop_llm.core.errors import UserError
from desktop_llm.core.files import read_json
from desktop_llm.core.models.hub import RemoteFile, RemoteModel
from desktop_llm.core.units import format_size

DISK_MARGIN = 200 << 20  # keep this much free after the download
STATE_SUFFIX = ".part.json"


def repo_folder(models_dir: Path, repo: str) -> Path:
    return Path(models_dir) / repo.replace("/", "__")


def lock_path(models_dir: Path, remote: RemoteModel) -> Path:
    """The file whose OS lock a download of `remote` holds while it writes."""
    return Path(models_dir) / ".locks" / f"{repo_folder(models_dir, remote.repo).name}__{remote.name}.lock"


def part_paths(final: Path) -> tuple[Path, Path]:
    return final.with_name(final.name + ".part"), final.with_name(final.name + STATE_SUFFIX)


def discard(*paths: Path) -> None:
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


def in_place(final: Path, part: RemoteFile) -> bool:
    return final.exists() and final.stat().st_size == part.size


def synced_bytes(final: Path, part: RemoteFile) -> int:
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
    return 0 if in_place(final, part) else part.size - synced_bytes(final, part)


def discard_download(remote: RemoteModel, models_dir: Path) -> None:
    """Cancel for good: delete what arrived of every part (and, for a split
    model left incomplete, the parts already in place)."""
    folder = repo_folder(models_dir, remote.repo)
    finals = [folder / Path(p.name).name for p in remote.parts]
    complete = all(in_place(f, p) for f, p in zip(finals, remote.parts))
    for final in finals:
        discard(*part_paths(final))
        if not complete and len(finals) > 1:
            discard(final)
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
