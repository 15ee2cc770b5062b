"""A local HTTP server that speaks the part of the Hugging Face Hub protocol
huggingface_hub and our downloader use, serving real files.

    /api/models?search=..&filter=gguf&sort=downloads&limit=N    repo search
    /api/models/{repo}[/revision/{rev}]?blobs=true              repo info, LFS sha256
    HEAD|GET /{repo}/resolve/{rev}/{file}                       file, with Range

Tests point huggingface_hub at it with HF_ENDPOINT. Knobs let a test cut a
transfer, corrupt bytes, require a token, or count what was sent.
Run as a program (`python -m tests.hub_server FILE [BYTES_PER_S]`) it serves FILE as
`local/test-GGUF` and prints its URL: used by bench/bench_download.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"
RESOLVE_RE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
INFO_RE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+?)(?:/revision/(?P<rev>[^/]+))?$")


@dataclass
class ServedFile:
    path: Path | None = None  # real bytes from this file...
    data: bytes | None = None  # ...or these
    declared_size: int | None = None  # claim another size in the listing (disk-space tests)
    _sha256: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            h = hashlib.sha256()
            if self.data is not None:
                h.update(self.data)
            else:
                with open(self.path, "rb") as f:
                    while block := f.read(1 << 22):
                        h.update(block)
            self._sha256 = h.hexdigest()
        return self._sha256


@dataclass
class Repo:
    files: dict[str, ServedFile]
    downloads: int = 0
    likes: int = 0
    gated: bool = False


@dataclass
class HubState:
    repos: dict[str, Repo] = field(default_factory=dict)
    token: str = "hf_test_token"
    cut_after: int | None = None  # close the next GET's connection after this many body bytes
    cuts: list[int] = field(default_factory=list)  # ...and the GETs after it, one of these each, in order
    corrupt: bool = False  # flip one byte in every file body served
    rate_limit: int | None = None  # bytes per second per response, like a real network link
    requests: list[str] = field(default_factory=list)
    body_bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_repo(self, repo_id: str, files: dict[str, ServedFile], **kw) -> Repo:
        self.repos[repo_id] = Repo(files, **kw)
        return self.repos[repo_id]


class HubHandler(BaseHTTPRequestHandler):
    server_version = "LocalHub/1.0"
    state: HubState  # set on the subclass per server

    def log_message(self, *args):  # quiet
        pass

    # -- helpers ---------------------------------------------------------------
    def _json(self, obj, status: int = 200, headers: dict | None = None) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json({"error": message}, status, {"X-Error-Code": code, "X-Error-Message": message})

    def _authorized(self, repo: Repo) -> bool:
        if not repo.gated:
            return True
        return self.headers.get("Authorization", "") == f"Bearer {self.state.token}"

    # -- routes ----------------------------------------------------------------
    def do_HEAD(self):
        self._route()

    def do_GET(self):
        self._route()

    def _route(self):
        with self.state.lock:
            self.state.requests.append(f"{self.command} {self.path}")
        url = urlparse(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        if path == "/api/models":
            return self._search(query)
        m = INFO_RE.match(path)
        if m:
            return self._info(m.group("repo"), query)
        m = RESOLVE_RE.match(path)
        if m:
            return self._resolve(m.group("repo"), m.group("file"))
        self._error(404, "EntryNotFound", "not found")

    def _search(self, query):
        words = (query.get("search") or [""])[0].lower()
        limit = int((query.get("limit") or ["50"])[0])
        hits = [
            {"id": rid, "_id": rid, "modelId": rid, "downloads": r.downloads, "likes": r.likes,
             "gated": "auto" if r.gated else False, "private": False, "tags": ["gguf"]}
            for rid, r in self.state.repos.items()
            if words in rid.lower() and any(f.endswith(".gguf") for f in r.files)
        ]
        hits.sort(key=lambda h: -h["downloads"])
        self._json(hits[:limit])

    def _info(self, repo_id: str, query):
        repo = self.state.repos.get(repo_id)
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found")
        siblings = []
        for name, f in repo.files.items():
            size = f.declared_size or f.size
            entry = {"rfilename": name}
            if query.get("blobs"):
                entry.update(size=size, blobId=f.sha256[:40],
                             lfs={"sha256": f.sha256, "size": size, "pointerSize": 134})
            siblings.append(entry)
        self._json({"id": repo_id, "_id": repo_id, "modelId": repo_id, "sha": COMMIT,
                    "private": False, "gated": "auto" if repo.gated else False, "disabled": False,
                    "downloads": repo.downloads, "likes": repo.likes, "tags": ["gguf"],
                    "siblings": siblings})

    def _resolve(self, repo_id: str, name: str):
        repo = self.state.repos.get(repo_id)
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found")
        if not self._authorized(repo):
            return self._error(401, "GatedRepo", "Access to this model is restricted")
        f = repo.files.get(name)
        if f is None:
            return self._error(404, "EntryNotFound", "Entry not found")
        size = f.size
        start, end = 0, size - 1
        rng = self.headers.get("Range")
        status = 200
        if rng:
            m = re.match(r"bytes=(\d+)-(\d*)", rng)
            if m:
                start = int(m.group(1))
                end = int(m.group(2)) if m.group(2) else size - 1
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{f.sha256}"')
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("X-Linked-Size", str(size))
        self.send_header("X-Linked-Etag", f'"{f.sha256}"')
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with self.state.lock:
            limit, self.state.cut_after = self.state.cut_after, None
            if limit is None and self.state.cuts:
                limit = self.state.cuts.pop(0)
        to_send = length if limit is None else min(length, limit)
        self._send_body(f, start, to_send)
        if to_send < length:
            self.close_connection = True
            self.connection.shutdown(2)

    def _send_body(self, f: ServedFile, start: int, count: int) -> None:
        sent = 0
        try:
            if f.data is not None or self.state.corrupt:
                if f.data is not None:
                    body = bytearray(f.data[start:start + count])
                else:
                    with open(f.path, "rb") as src:
                        src.seek(start)
                        body = bytearray(src.read(count))
                if self.state.corrupt and body:
                    body[len(body) // 2] ^= 0xFF
                self.wfile.write(body)
                sent = len(body)
            elif self.state.rate_limit:
                self.wfile.flush()
                piece = max(1 << 16, self.state.rate_limit // 50)
                began = time.monotonic()
                with open(f.path, "rb") as src:
                    while sent < count:
                        n = self.connection.sendfile(src, start + sent, min(piece, count - sent)) or 0
                        if n == 0:
                            break
                        sent += n
                        ahead = sent / self.state.rate_limit - (time.monotonic() - began)
                        if ahead > 0:
                            time.sleep(ahead)
            else:
                self.wfile.flush()
                with open(f.path, "rb") as src:
                    sent = self.connection.sendfile(src, start, count) or 0
        except (BrokenPipeError, ConnectionResetError):
            pass
        with self.state.lock:
            self.state.body_bytes_sent += sent


class LocalHub:
    """The server on 127.0.0.1 in a background thread."""

    def __init__(self, state: HubState | None = None):
        self.state = state or HubState()
        handler = type("Handler", (HubHandler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "LocalHub":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str]) -> None:
    file = Path(argv[0])
    state = HubState(rate_limit=int(argv[1]) if len(argv) > 1 else None)
    state.add_repo("local/test-GGUF", {file.name: ServedFile(path=file)})
    with LocalHub(state) as hub:
        print(hub.url, flush=True)
        try:
            sys.stdin.read()  # serve until the parent closes our stdin
        except KeyboardInterrupt:
            pass
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
