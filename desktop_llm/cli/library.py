"""`desktop-llm library ...`: libraries of the user's documents, indexed for search."""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from desktop_llm.cli.common import print_json, progress_printer
from desktop_llm.core.library.indexer import IndexReport
from desktop_llm.core.library.libraries import Libraries
from desktop_llm.core.models import ModelRegistry
from desktop_llm.core.paths import AppPaths


@contextmanager
def open_libraries() -> Iterator[Libraries]:
    paths = AppPaths.from_env().ensure()
    registry = ModelRegistry(paths)
    libraries = Libraries(paths.library_db, lambda name: registry.resolve(name).path)
    try:
        yield libraries
    finally:
        libraries.close()


@contextmanager
def stoppable() -> Iterator[threading.Event]:
    """Ctrl+C stops indexing after the file in hand: what is done is kept."""
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def _report(name: str, report: IndexReport, as_json: bool, libraries: Libraries) -> int:
    info = libraries.info(name)
    if as_json:
        print_json({**info.as_dict(), "read": report.read, "unchanged": report.unchanged,
                    "dropped": report.dropped, "stopped": report.stopped,
                    "skipped": [{"path": p, "reason": r} for p, r in report.skipped]})
    else:
        print(f"{name}: {info.files} files, {info.chunks} passages ({report.read} read, {report.unchanged} "
              f"unchanged, {report.dropped} removed) in {report.seconds:.1f} s."
              + (" Stopped: index again to go on." if report.stopped else ""), file=sys.stderr)
        for path, reason in report.skipped:
            print(f"  skipped {path}: {reason}", file=sys.stderr)
    return 0


def cmd_add(args) -> int:
    with open_libraries() as libraries, stoppable() as cancel:
        report = libraries.add(args.name, [Path(p) for p in args.paths], progress_printer(), cancel, args.embedder)
        return _report(args.name, report, args.json, libraries)


def cmd_index(args) -> int:
    with open_libraries() as libraries, stoppable() as cancel:
        report = libraries.index(args.name, progress_printer(), cancel)
        return _report(args.name, report, args.json, libraries)


def cmd_embedder(args) -> int:
    with open_libraries() as libraries, stoppable() as cancel:
        done = libraries.change_embedder(args.name, args.model, progress_printer(), cancel)
        info = libraries.info(args.name)
    if args.json:
        print_json({**info.as_dict(), "stopped": not done})
    elif done:
        print(f"{info.name} now finds passages with {info.embedder} ({info.chunks} passages).", file=sys.stderr)
    else:
        print(f"Stopped; {info.name} still uses {info.embedder}. Run this again to go on where it stopped.",
              file=sys.stderr)
    return 0 if done else 1


def cmd_list(args) -> int:
    with open_libraries() as libraries:
        infos = [libraries.info(name) for name in libraries.names()]
    if args.json:
        print_json([i.as_dict() for i in infos])
    for i in infos if not args.json else ():
        print(f"{i.name}\t{i.files} files\t{i.chunks} passages\t{', '.join(i.sources)}")
    return 0


def cmd_status(args) -> int:
    with open_libraries() as libraries:
        info = libraries.info(args.name)
    if args.json:
        print_json(info.as_dict())
    else:
        print(f"{info.name}: {info.files} files, {info.chunks} passages, from {', '.join(info.sources)}; "
              f"passages found with {info.embedder}")
        for path, reason in info.problems:
            print(f"  not read: {path}: {reason}")
    return 0


def cmd_remove(args) -> int:
    with open_libraries() as libraries:
        libraries.remove(args.name)
    print(f"Removed the library {args.name} (its files are untouched).", file=sys.stderr)
    return 0


def cmd_search(args) -> int:
    with open_libraries() as libraries:
        hits = libraries.search(args.name, args.query, args.top)
    if args.json:
        print_json([h.as_dict() for h in hits])
    for n, h in enumerate(hits if not args.json else [], 1):
        where = Path(h.file).name + (f", page {h.page}" if h.page else "") + (f", {h.heading}" if h.heading else "")
        print(f"[{n}] {where}\n{h.text}\n")
    return 0


def add_parser(sub, common) -> None:
    library = sub.add_parser("library", help="libraries of your documents, for search and grounded answers")
    lsub = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    p = lsub.add_parser("add", parents=[common], help="add files or folders to a library (made when new), and index")
    p.add_argument("name")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--embedder", metavar="MODEL", help="an installed model to find passages with, for a new "
                   "library (default: the built-in one)")
    p.set_defaults(func=cmd_add)
    p = lsub.add_parser("embedder", parents=[common], help="find passages with another model: embeds the "
                        "library's passages again")
    p.add_argument("name")
    p.add_argument("model", help="an installed model's name, or wordllama-256 for the built-in one")
    p.set_defaults(func=cmd_embedder)
    p = lsub.add_parser("index", parents=[common], help="bring a library's index up to date with its files")
    p.add_argument("name")
    p.set_defaults(func=cmd_index)
    p = lsub.add_parser("list", parents=[common], help="the libraries")
    p.set_defaults(func=cmd_list)
    p = lsub.add_parser("status", parents=[common], help="a library's files, passages and problems")
    p.add_argument("name")
    p.set_defaults(func=cmd_status)
    p = lsub.add_parser("remove", parents=[common], help="remove a library (its files are untouched)")
    p.add_argument("name")
    p.set_defaults(func=cmd_remove)
    p = lsub.add_parser("search", parents=[common], help="the passages that best answer a question")
    p.add_argument("name")
    p.add_argument("query")
    p.add_argument("--top", type=int, default=5, metavar="K")
    p.set_defaults(func=cmd_search)
