"""`desktop-llm chat`: one turn, or a REPL."""

from __future__ import annotations

import sys

from desktop_llm.cli.common import follow, open_core, print_json
from desktop_llm.cli.library import open_libraries
from desktop_llm.core.chat import Grounding
from desktop_llm.core.errors import UserError
from desktop_llm.core.store.records import MessageStatus

SOURCES = 5  # passages a grounded answer draws on


def _run_turn(core, model, text: str, conversation_id: int | None, as_json: bool, libraries=()):
    """Stream one reply to stdout; Ctrl+C stops it and keeps the partial reply. With libraries,
    the reply is grounded in the passages found for the question, and they are listed under it."""
    grounding = _grounding(libraries, text) if libraries else None
    result = follow(core.chat.send(text, model, conversation_id, sources=grounding), as_json)
    if not as_json:
        sys.stdout.write("\n")
        for source in result.sources if result is not None else ():
            sys.stdout.write(f"[{source.n}] {source.label()}\n")
        if result is not None and result.status == MessageStatus.STOPPED:
            sys.stderr.write("[stopped — the partial reply was saved]\n")
        if result is not None and result.left_out:
            sys.stderr.write(f"[the {result.left_out} oldest messages did not fit the model's context"
                             " and were left out]\n")
    return result


def _grounding(names: list[str], question: str) -> Grounding:
    """The best passages for the question across the libraries, numbered (or the one file whose
    summary it asks for)."""
    with open_libraries() as libraries:
        for name in names:
            libraries.info(name)  # an unknown name is an error, not an empty answer
        return libraries.grounding(names, question, SOURCES)


def _chat_model(core, args):
    """The model for a chat command: a --backend server for this run, or a local or configured remote one."""
    if args.backend:
        model = core.use_backend(args.backend, args.api_key, args.api_model or "")
    else:
        model = core.resolve_model(args.model)
    if model.is_remote:
        print(f"[{model.name} is a remote model: what you send leaves this computer]", file=sys.stderr)
    return model


def cmd_chat(args) -> int:
    with open_core() as core:
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
            result = _run_turn(core, model, prompt, conversation_id, args.json, args.library or ())
            if args.json and result is not None:
                print_json(result.as_dict())
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


def add_parser(sub, common) -> None:
    chat = sub.add_parser("chat", parents=[common], help="one chat turn, or a REPL without a prompt")
    chat.add_argument("prompt", nargs="?", help="the message (read from stdin when omitted and piped)")
    chat.add_argument("--conversation", type=int, metavar="ID", help="continue this conversation")
    chat.add_argument("--library", action="append", metavar="NAME",
                      help="answer from the passages found in this library, citing them (may be repeated)")
    chat.add_argument("--backend", metavar="URL", help="an OpenAI-compatible server (base URL, e.g. "
                      "http://127.0.0.1:11434/v1) to answer instead of a local model")
    chat.add_argument("--api-key", metavar="KEY", help="the --backend server's API key")
    chat.add_argument("--api-model", metavar="NAME", help="the model name the --backend server expects")
    chat.set_defaults(func=cmd_chat)
