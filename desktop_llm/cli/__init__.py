"""The `desktop-llm` command. Thin: every command calls core.

No arguments opens the GUI. Subcommands never import Qt, and llama_cpp is
imported only when a model is actually run.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Sequence

from desktop_llm import __version__
from desktop_llm.cli import chat, documents, history, library, models, remote, serve, writing
from desktop_llm.cli.common import OPTIONS
from desktop_llm.core.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")
    common.add_argument("--model", metavar="NAME|PATH", help="model name or path to a .gguf file")
    common.add_argument("--progress", choices=("auto", "lines", "json", "none"), default="auto",
                        help="progress on stderr: a bar on a terminal, else a line per step (auto); "
                             "JSON lines; or none")

    parser = argparse.ArgumentParser(
        prog="desktop-llm",
        description="Private, offline chat and writing assistant. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"desktop-llm {__version__}")
    parser.add_argument("--offline", action="store_true", help="never touch the network")
    parser.add_argument("--self-test", action="store_true", help="check this installation (resources, history, "
                        "the starter model, the window); one JSON line, exit 0 when it works")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (chat, history, remote, serve, models, writing, documents, library):
        group.add_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or all(Path(arg).is_file() for arg in argv):  # `desktop-llm [FILE...]`: the window
        from desktop_llm.gui.app import main as gui_main  # Qt only when the window is wanted

        return gui_main([], files=argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    OPTIONS["offline"] = args.offline
    OPTIONS["progress"] = getattr(args, "progress", "auto")
    if args.self_test:
        from desktop_llm.cli.self_test import run_self_test

        return run_self_test()
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if hasattr(signal, "SIGPIPE"):
        # `desktop-llm ... | head` ends quietly; a server outlives a client that hung up
        # (writing to it raises an error the request handles, instead of killing the process).
        signal.signal(signal.SIGPIPE, signal.SIG_IGN if getattr(args, "serves", False) else signal.SIG_DFL)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"desktop-llm: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("desktop-llm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
