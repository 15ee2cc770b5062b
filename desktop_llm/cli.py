"""The `desktop-llm` command. Thin: every command calls core.

No arguments opens the GUI. Subcommands never import Qt, and llama_cpp is
imported only when a model is actually run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from contextlib import contextmanager
from typing import Sequence

from desktop_llm import __version__
from desktop_llm.core.errors import UserError


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


OPTIONS = {"offline": False}  # global options of this run (--offline)


@contextmanager
def _core():
    """The app's core for one command, closed (model host stopped, history
    closed) when the command ends."""
    from desktop_llm.core.app import AppCore

    core = AppCore()
    if OPTIONS["offline"]:
        core.settings.offline = True  # for this run only; not saved
    try:
        yield core
    finally:
        core.close()


# -- chat ------------------------------------------------------------------------
def follow(job, as_json: bool, show_tokens: bool = True):
    """Print a job's tokens to stdout and its progress to stderr; Ctrl+C
    stops it. Returns the result; a failure becomes a UserError."""
    from desktop_llm.core.events import Failed, Finished, Progress, Token

    result = None

    def stop(_signum, _frame):
        job.cancel()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl+C quits

    previous = signal.signal(signal.SIGINT, stop)
    try:
        for event in job.events():
            if isinstance(event, Token) and show_tokens and not as_json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Progress) and not as_json and sys.stderr.isatty():
                sys.stderr.write(f"\r{event.label} {event.done}/{event.total}\x1b[K")
                if event.done >= event.total:
                    sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
            elif isinstance(event, Failed):
                raise UserError(event.user_message, event.detail)
            elif isinstance(event, Finished):
                result = event.result
    finally:
        signal.signal(signal.SIGINT, previous)
    return result


def _run_turn(core, model, text: str, conversation_id: int | None, as_json: bool):
    """Stream one reply to stdout; Ctrl+C stops it and keeps the partial reply."""
    result = follow(core.chat.send(text, model, conversation_id), as_json)
    if not as_json:
        sys.stdout.write("\n")
        if result is not None and result.status == "stopped":
            sys.stderr.write("[stopped — the partial reply was saved]\n")
        if result is not None and result.left_out:
            sys.stderr.write(f"[the {result.left_out} oldest messages did not fit the model's context"
                             " and were left out]\n")
    return result


def _chat_model(core, args):
    """The model for a chat command: a --backend server for this run, or a local or configured remote one."""
    if args.backend:
        model = core.use_backend(args.backend, args.api_key, args.api_model or "")
    else:
        model = core.resolve_model(args.model)
    if model.source == "remote":
        print(f"[{model.name} is a remote model: what you send leaves this computer]", file=sys.stderr)
    return model


def cmd_chat(args) -> int:
    with _core() as core:
        model = _chat_model(core, args)
        conversation_id = args.conversation
        if conversation_id is not None:
            core.history.get_conversation(conversation_id)
        prompt = args.prompt
        if prompt is None and not sys.stdin.isatty():
            prompt = sys.stdin.read()
        if prompt is not None:
            if not prompt.strip():
                raise UserError("The prompt is empty. Give a prompt as an argument or on stdin.")
            result = _run_turn(core, model, prompt, conversation_id, args.json)
            if args.json and result is not None:
                _print_json(result.as_dict())
            return 0
        return _repl(core, model, conversation_id)


def _repl(core, model, conversation_id: int | None) -> int:
    print(f"Chatting with {model.name}. Ctrl+C stops a reply; Ctrl+D or /exit quits.", file=sys.stderr)
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if line.strip() in ("/exit", "/quit"):
            return 0
        if not line.strip():
            continue
        result = _run_turn(core, model, line, conversation_id, False)
        if result is not None:
            conversation_id = result.conversation_id


# -- history ---------------------------------------------------------------------
def cmd_history_list(args) -> int:
    with _core() as core:
        conversations = core.history.list_conversations()
        if args.json:
            _print_json([c.as_dict() for c in conversations])
        elif not conversations:
            print("No conversations yet.", file=sys.stderr)
        else:
            for c in conversations:
                print(f"{c.id:>5}  {c.updated_at[:16].replace('T', ' ')}  {c.message_count:>4} msgs  {c.title}")
        return 0


def cmd_history_show(args) -> int:
    with _core() as core:
        conversation = core.history.get_conversation(args.id)
        messages = core.history.messages(args.id)
        if args.json:
            _print_json({**conversation.as_dict(), "messages": [m.as_dict() for m in messages]})
            return 0
        print(f"# {conversation.title or 'Untitled'}  (#{conversation.id}, {conversation.model})\n")
        for m in messages:
            status = "" if m.status == "done" else f"  [{m.status}]"
            print(f"## {m.role}{status}\n{m.content}\n")
        return 0


def cmd_history_search(args) -> int:
    with _core() as core:
        hits = core.history.search(args.query)
        if args.json:
            _print_json([h.as_dict() for h in hits])
        elif not hits:
            print(f"Nothing found for {args.query!r}.", file=sys.stderr)
        else:
            for h in hits:
                snippet = " ".join(h.snippet.split())
                print(f"{h.conversation_id:>5}  #{h.message_id:<6} {h.conversation_title[:30]:<30}  {snippet}")
        return 0


def cmd_history_export(args) -> int:
    from pathlib import Path

    from desktop_llm.core.store.export import export_conversation, render

    with _core() as core:
        if args.output is None:
            sys.stdout.buffer.write(render(core.history, args.id, args.format))
            return 0
        path = export_conversation(core.history, args.id, args.format, Path(args.output))
        if args.json:
            _print_json({"conversation_id": args.id, "format": args.format, "path": str(path)})
        else:
            print(f"Saved {path}", file=sys.stderr)
        return 0


def cmd_history_import(args) -> int:
    from pathlib import Path

    from desktop_llm.core.store.importers import import_file

    with _core() as core:
        conversation_id = import_file(core.history, Path(args.file))
        conversation = core.history.get_conversation(conversation_id)
        if args.json:
            _print_json(conversation.as_dict())
        else:
            print(f"Imported {args.file} as conversation {conversation_id} "
                  f"({conversation.message_count} messages): {conversation.title}")
        return 0


def cmd_history_rename(args) -> int:
    with _core() as core:
        conversation = core.history.rename_conversation(args.id, args.title)
        if args.json:
            _print_json(conversation.as_dict())
        return 0


def cmd_history_delete(args) -> int:
    with _core() as core:
        core.history.delete_conversation(args.id)
        if args.json:
            _print_json({"deleted": args.id})
        else:
            print(f"Deleted conversation {args.id}.", file=sys.stderr)
        return 0


# -- remote models -----------------------------------------------------------------
def cmd_remote_add(args) -> int:
    with _core() as core:
        key = args.api_key or os.environ.get("DESKTOP_LLM_REMOTE_KEY") or None
        kept = core.remote_models.add(args.name, args.url, args.api_model or args.name, key, args.context)
        print(f"Added {args.name}: use it with --model {args.name} (your text is sent to {args.url}).",
              file=sys.stderr)
        if not kept:
            print("No system keyring is available: the API key was not stored.", file=sys.stderr)
        return 0


def cmd_remote_list(args) -> int:
    with _core() as core:
        configs = core.remote_models.list()
        if args.json:
            _print_json([{"name": c.name, "base_url": c.base_url, "model": c.model, "context": c.n_ctx}
                         for c in configs])
        else:
            for c in configs:
                print(f"{c.name:<20} {c.model:<30} {c.base_url}")
            if not configs:
                print("No remote models. Add one with `desktop-llm remote add NAME URL --api-model MODEL`.",
                      file=sys.stderr)
        return 0


def cmd_remote_remove(args) -> int:
    with _core() as core:
        core.remote_models.remove(args.name)
        print(f"Removed {args.name} (and its API key).", file=sys.stderr)
        return 0


# -- API server ------------------------------------------------------------------
def cmd_serve(args) -> int:
    from desktop_llm.core.server.runner import ApiServer

    with _core() as core:
        key = args.api_key or os.environ.get("DESKTOP_LLM_API_KEY") or None
        server = ApiServer(core, args.host, args.port, key, tuple(args.cors or ()))
        model = core.resolve_model(args.model)
        print(f"Serving the OpenAI API at {server.url} — default model {model.name}"
              f"{', API key required' if key else ''}. Ctrl+C stops.", file=sys.stderr)
        try:
            server.run()
        except KeyboardInterrupt:  # uvicorn stops cleanly, then passes Ctrl+C on
            pass
        print("The API server stopped.", file=sys.stderr)
        return 0


# -- parser ----------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")
    common.add_argument("--model", metavar="NAME|PATH", help="model name or path to a .gguf file")

    parser = argparse.ArgumentParser(
        prog="desktop-llm",
        description="Private, offline chat and writing assistant. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"desktop-llm {__version__}")
    parser.add_argument("--offline", action="store_true", help="never touch the network")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", parents=[common], help="one chat turn, or a REPL without a prompt")
    chat.add_argument("prompt", nargs="?", help="the message (read from stdin when omitted and piped)")
    chat.add_argument("--conversation", type=int, metavar="ID", help="continue this conversation")
    chat.add_argument("--backend", metavar="URL", help="an OpenAI-compatible server (base URL, e.g. "
                      "http://127.0.0.1:11434/v1) to answer instead of a local model")
    chat.add_argument("--api-key", metavar="KEY", help="the --backend server's API key")
    chat.add_argument("--api-model", metavar="NAME", help="the model name the --backend server expects")
    chat.set_defaults(func=cmd_chat)

    history = sub.add_parser("history", help="saved conversations")
    hsub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    hlist = hsub.add_parser("list", parents=[common], help="list conversations")
    hlist.set_defaults(func=cmd_history_list)
    hshow = hsub.add_parser("show", parents=[common], help="show one conversation")
    hshow.add_argument("id", type=int)
    hshow.set_defaults(func=cmd_history_show)
    hsearch = hsub.add_parser("search", parents=[common], help="search every message")
    hsearch.add_argument("query")
    hsearch.set_defaults(func=cmd_history_search)
    hexport = hsub.add_parser("export", parents=[common], help="export a conversation")
    hexport.add_argument("id", type=int)
    hexport.add_argument("--format", choices=["md", "html", "json", "docx", "txt"], default="md")
    hexport.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    hexport.set_defaults(func=cmd_history_export)
    himport = hsub.add_parser("import", parents=[common],
                              help="import a conversation (our JSON, LM Studio, Jan, role/content JSON)")
    himport.add_argument("file")
    himport.set_defaults(func=cmd_history_import)
    hrename = hsub.add_parser("rename", parents=[common], help="rename a conversation")
    hrename.add_argument("id", type=int)
    hrename.add_argument("title")
    hrename.set_defaults(func=cmd_history_rename)
    hdelete = hsub.add_parser("delete", parents=[common], help="delete a conversation for good")
    hdelete.add_argument("id", type=int)
    hdelete.set_defaults(func=cmd_history_delete)

    remote = sub.add_parser("remote", help="OpenAI-compatible servers used as models")
    rsub = remote.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    radd = rsub.add_parser("add", parents=[common], help="add a remote model")
    radd.add_argument("name", help="a short name, used with --model")
    radd.add_argument("url", help="the server's base URL, e.g. https://api.example.com/v1")
    radd.add_argument("--api-model", metavar="NAME", help="the model name the server expects (default: NAME)")
    radd.add_argument("--api-key", metavar="KEY", help="kept in the system keyring (or DESKTOP_LLM_REMOTE_KEY)")
    radd.add_argument("--context", type=int, default=8192, metavar="TOKENS", help="the model's context size")
    radd.set_defaults(func=cmd_remote_add)
    rlist = rsub.add_parser("list", parents=[common], help="list remote models")
    rlist.set_defaults(func=cmd_remote_list)
    rremove = rsub.add_parser("remove", parents=[common], help="remove a remote model and its key")
    rremove.add_argument("name")
    rremove.set_defaults(func=cmd_remote_remove)

    serve = sub.add_parser("serve", parents=[common], help="serve the OpenAI-compatible API (loopback by default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4891, help="port (default 4891)")
    serve.add_argument("--api-key", metavar="KEY", help="require 'Authorization: Bearer KEY' "
                       "(or set DESKTOP_LLM_API_KEY); needed for a non-loopback address")
    serve.add_argument("--cors", action="append", metavar="ORIGIN", help="allow browser pages from ORIGIN")
    serve.set_defaults(func=cmd_serve)

    from desktop_llm import cli_documents, cli_models, cli_writing

    cli_models.add_parser(sub, common)
    cli_writing.add_parsers(sub, common)
    cli_documents.add_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        from desktop_llm.gui.app import main as gui_main

        return gui_main([])
    parser = build_parser()
    args = parser.parse_args(argv)
    OPTIONS["offline"] = args.offline
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if hasattr(signal, "SIGPIPE"):  # `desktop-llm ... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
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
