"""`desktop-llm history ...`: thin commands over core.store."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_llm.cli.common import open_core, print_json
from desktop_llm.core.store.export import FORMATS, export_conversation, render
from desktop_llm.core.store.importers import import_file
from desktop_llm.core.store.records import MessageStatus
from desktop_llm.core.store.recovery import damage_of, recover


def cmd_list(args) -> int:
    with open_core() as core:
        conversations = core.history.list_conversations()
        if args.json:
            print_json([c.as_dict() for c in conversations])
        elif not conversations:
            print("No conversations yet.", file=sys.stderr)
        else:
            for c in conversations:
                print(f"{c.id:>5}  {c.updated_at[:16].replace('T', ' ')}  {c.message_count:>4} msgs  {c.title}")
        return 0


def cmd_show(args) -> int:
    with open_core() as core:
        conversation = core.history.get_conversation(args.id)
        messages = core.history.messages(args.id)
        if args.json:
            print_json({**conversation.as_dict(), "messages": [m.as_dict() for m in messages]})
            return 0
        print(f"# {conversation.title or 'Untitled'}  (#{conversation.id}, {conversation.model})\n")
        for m in messages:
            status = "" if m.status == MessageStatus.DONE else f"  [{m.status}]"
            print(f"## {m.role}{status}\n{m.content}\n")
        return 0


def cmd_search(args) -> int:
    with open_core() as core:
        hits = core.history.search(args.query)
        if args.json:
            print_json([h.as_dict() for h in hits])
        elif not hits:
            print(f"Nothing found for {args.query!r}.", file=sys.stderr)
        else:
            for h in hits:
                snippet = " ".join(h.snippet.split())
                print(f"{h.conversation_id:>5}  #{h.message_id:<6} {h.conversation_title[:30]:<30}  {snippet}")
        return 0


def cmd_export(args) -> int:
    with open_core() as core:
        if args.output is None:
            sys.stdout.buffer.write(render(core.history, args.id, args.format))
            return 0
        path = export_conversation(core.history, args.id, args.format, Path(args.output))
        if args.json:
            print_json({"conversation_id": args.id, "format": args.format, "path": str(path)})
        else:
            print(f"Saved {path}", file=sys.stderr)
        return 0


def cmd_import(args) -> int:
    with open_core() as core:
        conversation_id = import_file(core.history, Path(args.file))
        conversation = core.history.get_conversation(conversation_id)
        if args.json:
            print_json(conversation.as_dict())
        else:
            print(f"Imported {args.file} as conversation {conversation_id} "
                  f"({conversation.message_count} messages): {conversation.title}")
        return 0


def cmd_rename(args) -> int:
    with open_core() as core:
        conversation = core.history.rename_conversation(args.id, args.title)
        if args.json:
            print_json(conversation.as_dict())
        return 0


def cmd_delete(args) -> int:
    with open_core() as core:
        core.history.delete_conversation(args.id)
        if args.json:
            print_json({"deleted": args.id})
        else:
            print(f"Deleted conversation {args.id}.", file=sys.stderr)
        return 0


def cmd_recover(args) -> int:
    with open_core() as core:  # the history itself is not opened: it may be damaged
        path = core.paths.history_db
        found = damage_of(path)
        if not found and not args.force:
            print(f"The history file {path} reads as sound: nothing to recover "
                  "(--force copies it into a new file anyway).", file=sys.stderr)
            return 0
        report = recover(path)
        if args.json:
            print_json(report.as_dict())
        else:
            print(report.text, file=sys.stderr)
        return 0


def add_parser(sub, common) -> None:
    history = sub.add_parser("history", help="saved conversations")
    hsub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    p = hsub.add_parser("list", parents=[common], help="list conversations")
    p.set_defaults(func=cmd_list)
    p = hsub.add_parser("show", parents=[common], help="show one conversation")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_show)
    p = hsub.add_parser("search", parents=[common], help="search every message")
    p.add_argument("query")
    p.set_defaults(func=cmd_search)
    p = hsub.add_parser("export", parents=[common], help="export a conversation")
    p.add_argument("id", type=int)
    p.add_argument("--format", choices=list(FORMATS), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_export)
    p = hsub.add_parser("import", parents=[common],
                        help="import a conversation (our JSON, LM Studio, Jan, role/content JSON)")
    p.add_argument("file")
    p.set_defaults(func=cmd_import)
    p = hsub.add_parser("rename", parents=[common], help="rename a conversation")
    p.add_argument("id", type=int)
    p.add_argument("title")
    p.set_defaults(func=cmd_rename)
    p = hsub.add_parser("recover", parents=[common],
                        help="copy what can be read of a damaged history into a new one (the damaged file is kept)")
    p.add_argument("--force", action="store_true", help="even when the file reads as sound")
    p.set_defaults(func=cmd_recover)
    p = hsub.add_parser("delete", parents=[common], help="delete a conversation for good")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_delete)
