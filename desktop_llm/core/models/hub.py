"""The Hugging Face Hub through huggingface_hub: search GGUF repos, list a
repo's model files (size, quantization, LFS sha256), explain failures.

huggingface_hub honours HF_ENDPOINT, so the same code talks to a local
server in tests. In offline mode nothing here touches the network.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.models.gguf import SPLIT_RE

QUANT_RE = re.compile(
    r"(?:^|[-_.])(?P<quant>I?Q\d(?:_[A-Z0-9]+)*|F16|BF16|F32)(?=[-_.]|$)", re.IGNORECASE)

OFFLINE_MESSAGE = ("Offline mode is on, so the Hugging Face Hub is not contacted. "
                   "Turn offline mode off in Settings (or drop --offline) to search and download.")


def endpoint() -> str:
    """The Hub's address, read at call time so HF_ENDPOINT set later still counts."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def quantization_of(filename: str) -> str:
    """The quantization named in a GGUF file name ("Q4_K_M"), or ""."""
    base = filename.rsplit("/", 1)[-1]
    split = SPLIT_RE.match(base)
    stem = split.group("stem") if split else base.removesuffix(".gguf")
    matches = list(QUANT_RE.finditer(stem))
    return matches[-1].group("quant").upper() if matches else ""


@dataclass(frozen=True)
class RemoteFile:
    name: str  # path in the repo
    size: int
    sha256: str | None  # from the Hub's LFS metadata


@dataclass(frozen=True)
class RemoteModel:
    """One downloadable model: a GGUF file, or all parts of a split GGUF."""

    repo: str
    commit: str
    parts: tuple[RemoteFile, ...]

    @property
    def name(self) -> str:
        first = self.parts[0].name
        split = SPLIT_RE.match(first.rsplit("/", 1)[-1])
        return f"{split.group('stem')}.gguf" if split else first.rsplit("/", 1)[-1]

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    @property
    def quant(self) -> str:
        return quantization_of(self.parts[0].name)

    def as_dict(self) -> dict:
        return {"file": self.name, "size": self.size, "quant": self.quant,
                "parts": [p.name for p in self.parts]}


@dataclass(frozen=True)
class RepoHit:
    repo: str
    downloads: int
    likes: int
    gated: bool

    def as_dict(self) -> dict:
        return {"repo": self.repo, "downloads": self.downloads, "likes": self.likes, "gated": self.gated}


def group_models(repo: str, commit: str, files: list[RemoteFile]) -> list[RemoteModel]:
    """GGUF files of a repo as models; split parts become one model (only
    when every part is present). Multimodal projectors are left out."""
    singles: list[RemoteModel] = []
    splits: dict[tuple[str, int], list[tuple[int, RemoteFile]]] = {}
    for f in files:
        base = f.name.rsplit("/", 1)[-1]
        if not base.lower().endswith(".gguf") or base.lower().startswith("mmproj"):
            continue
        m = SPLIT_RE.match(base)
        if m:
            key = (f.name[: len(f.name) - len(base)] + m.group("stem"), int(m.group("count")))
            splits.setdefault(key, []).append((int(m.group("index")), f))
        else:
            singles.append(RemoteModel(repo, commit, (f,)))
    for (_stem, count), parts in splits.items():
        parts.sort(key=lambda p: p[0])
        if [i for i, _ in parts] == list(range(1, count + 1)):
            singles.append(RemoteModel(repo, commit, tuple(f for _, f in parts)))
    return sorted(singles, key=lambda m: m.name.lower())


class Hub:
    def __init__(self, offline: bool = False, token: str | None = None):
        self.offline = offline
        self.token = token

    def _api(self):
        if self.offline:
            raise UserError(OFFLINE_MESSAGE)
        check_reachable(endpoint())
        from huggingface_hub import HfApi

        return HfApi(endpoint=endpoint(), token=self.token)

    def search(self, query: str, limit: int = 20) -> list[RepoHit]:
        api = self._api()
        with explained(query, self.token is not None):
            models = list(api.list_models(search=query.strip() or None, filter="gguf",
                                          sort="downloads", limit=limit))
        return [RepoHit(m.id, m.downloads or 0, m.likes or 0, bool(m.gated)) for m in models]

    def models(self, repo: str, revision: str | None = None) -> list[RemoteModel]:
        """The repo's GGUF models with sizes and checksums, at one commit."""
        api = self._api()
        with explained(repo, self.token is not None):
            info = api.model_info(repo, revision=revision, files_metadata=True)
        files = [RemoteFile(s.rfilename, int(s.size or (s.lfs.size if s.lfs else 0)),
                            s.lfs.sha256 if s.lfs else None)
                 for s in info.siblings or []]
        models = group_models(repo, info.sha or revision or "main", files)
        if not models:
            raise NotFound(f"{repo} has no GGUF model files. Choose a repository with .gguf files.")
        return models

    def model(self, repo: str, file: str | None = None, quant: str | None = None) -> RemoteModel:
        """One model of a repo by file name or quantization (default Q4_K_M)."""
        models = self.models(repo)
        if file:
            for m in models:
                if file in (m.name, m.parts[0].name) or any(p.name == file for p in m.parts):
                    return m
            raise NotFound(f"{repo} has no file {file}. Files: {', '.join(m.name for m in models)}.")
        wanted = (quant or "Q4_K_M").upper()
        for m in models:
            if m.quant == wanted:
                return m
        if quant is None and len(models) == 1:
            return models[0]
        quants = ", ".join(sorted({m.quant or m.name for m in models}))
        raise NotFound(f"{repo} has no {wanted} file. Available: {quants}. Use --file or --quant.")


REACH_S = 2.5  # a Hub that does not answer a connection in this time is taken as out of reach
_reached: dict[str, float] = {}  # endpoint -> when a connection last succeeded


def check_reachable(url: str) -> None:
    """Fail at once, and say what to check, when the Hub cannot be reached (no network, no DNS, a
    firewall): the Hub client would otherwise retry for half a minute. A success is trusted a minute."""
    if time.monotonic() - _reached.get(url, -1e9) < 60:
        return
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=REACH_S).close()
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    probe = threading.Thread(target=connect, daemon=True, name="hub-probe")
    probe.start()
    probe.join(REACH_S + 0.2)  # name resolution has no timeout of its own
    if outcome and outcome[0] is None:
        _reached[url] = time.monotonic()
        return
    why = repr(outcome[0]) if outcome else f"no answer within {REACH_S} s"
    raise UserError(f"Cannot reach the Hugging Face Hub ({host}). Check that this computer is online and "
                    "that no firewall or proxy blocks it — or turn on Offline mode in Settings to browse "
                    "the catalog without it.", detail=why)


@contextmanager
def explained(repo: str, has_token: bool = False):
    """Turn huggingface_hub and network errors into messages a person can act on."""
    try:
        yield
    except UserError:
        raise
    except Exception as exc:
        raise explain(exc, repo, has_token) from exc


def explain(exc: BaseException, repo: str, has_token: bool = False) -> UserError:
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, OfflineModeIsEnabled):
        return UserError(OFFLINE_MESSAGE)
    if isinstance(exc, GatedRepoError):
        return access_error(repo, has_token, detail=str(exc))
    if isinstance(exc, RepositoryNotFoundError):
        return NotFound(f"No model repository '{repo}' on the Hub (or it is private: add your "
                        "Hugging Face token in Settings).", detail=str(exc))
    if isinstance(exc, RevisionNotFoundError):
        return NotFound(f"{repo} has no such revision.", detail=str(exc))
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, HfHubHTTPError) and status in (401, 403):
        return access_error(repo, has_token, detail=str(exc))
    if isinstance(exc, HfHubHTTPError):
        return UserError(f"The Hub answered with an error ({status}). Try again later.", detail=str(exc))
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore"):
        return UserError("Cannot reach the Hugging Face Hub. Check your internet connection, "
                         "or turn on offline mode.", detail=repr(exc))
    return UserError(f"Talking to the Hub failed: {exc}", detail=repr(exc))


def access_error(repo: str, has_token: bool, detail: str = "") -> UserError:
    page = f"{endpoint()}/{repo}"
    if has_token:
        return UserError(
            f"Your Hugging Face token has no access to {repo}: open {page} , accept the model's license with "
            "the account the token belongs to (or use a token of an account that has), then try again.",
            detail=detail)
    return UserError(
        f"{repo} needs permission: open {page} , accept the model's license with your Hugging Face "
        "account, then add an access token (Settings → Hugging Face token, or `HF_TOKEN`).",
        detail=detail,
    )
