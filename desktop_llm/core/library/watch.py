"""Libraries kept up to date while the app runs: every so often (on a thread of
its own) each library whose files changed — a file added, removed, or with
another size or time — is indexed again. Looking costs one directory walk and
a stat per file, so it is polled rather than hooked into each platform's file
events, and it works the same on network drives. A library the user paused
waits for them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from desktop_llm.core.errors import UserError
from desktop_llm.core.library.indexer import IndexReport, library_files, under_missing
from desktop_llm.core.library.libraries import Libraries


def changed(libraries: Libraries, name: str) -> bool:
    """Whether a library's files differ from its index (new, gone, or another size or time)."""
    store = libraries.store
    library_id = store.library_id(name)
    known = store.files(library_id)
    sources = [s for s in store.sources(library_id) if Path(s).exists()]
    seen = 0
    for path in library_files(sources):
        row = known.get(str(path))
        try:
            stat = path.stat()
        except OSError:
            continue
        if row is None or row.size != stat.st_size or row.mtime != stat.st_mtime:
            return True
        seen += 1
    missing = [s for s in store.sources(library_id) if not Path(s).exists()]
    # files under a missing source keep their passages (an unplugged drive): not a change
    return seen < sum(1 for p in known if not under_missing(p, missing))


class LibraryWatcher:
    def __init__(self, libraries: Libraries, interval_s: float,
                 on_indexed: Callable[[str, IndexReport], None] | None = None,
                 on_failed: Callable[[str, str], None] | None = None):
        self.libraries = libraries
        self.interval_s = interval_s
        self.on_indexed, self.on_failed = on_indexed, on_failed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval_s > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="library-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check()

    def check(self) -> list[str]:
        """Index each library whose files changed (not one the user paused, nor while another job
        indexes); the names indexed."""
        done = []
        for name in self.libraries.names():
            if self._stop.is_set() or name in self.libraries.paused or self.libraries.busy():
                continue
            try:
                if not changed(self.libraries, name):
                    continue
                report = self.libraries.index(name, cancel=self._stop)
            except UserError as exc:  # a library removed meanwhile, a disk that filled up
                if self.on_failed is not None:
                    self.on_failed(name, exc.message)
                continue
            done.append(name)
            if self.on_indexed is not None:
                self.on_indexed(name, report)
        return done
