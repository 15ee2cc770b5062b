"""`desktop-llm remote ...`: OpenAI-compatible servers used as models."""

from __future__ import annotations

import os
import sys

from desktop_llm.cli.common import open_core, print_json


def cmd_add(args) -> int:
    with open_core() as core:
        key = args.api_key or os.environ.get("DESKTOP_LLM_REMOTE_KEY") or None
        kept = core.remote_models.add(args.name, args.url, args.api_model or args.name, key, args.context)
        print(f"Added {args.name}: use it with --model {args.name} (your text is sent to {args.url}).",
              file=sys.stderr)
        if not kept:
            print("No system keyring is available: the API key was not stored.", file=sys.stderr)
        return 0


def cmd_list(args) -> int:
    with open_core() as core:
        configs = core.remote_models.list()
        if args.json:
            print_json([{"name": c.name, "base_url": c.base_url, "model": c.model, "context": c.n_ctx}
                        for c in configs])
        else:
            for c in configs:
                print(f"{c.name:<20} {c.model:<30} {c.base_url}")
            if not configs:
                print("No remote models. Add one with `desktop-llm remote add NAME URL --api-model MODEL`.",
                      file=sys.stderr)
        return 0


def cmd_remove(args) -> int:
    with open_core() as core:
        core.remote_models.remove(args.name)
        print(f"Removed {args.name} (and its API key).", file=sys.stderr)
        return 0


def add_parser(sub, common) -> None:
    remote = sub.add_parser("remote", help="OpenAI-compatible servers used as models")
    rsub = remote.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    p = rsub.add_parser("add", parents=[common], help="add a remote model")
    p.add_argument("name", help="a short name, used with --model")
    p.add_argument("url", help="the server's base URL, e.g. https://api.example.com/v1")
    p.add_argument("--api-model", metavar="NAME", help="the model name the server expects (default: NAME)")
    p.add_argument("--api-key", metavar="KEY", help="kept in the system keyring (or DESKTOP_LLM_REMOTE_KEY)")
    p.add_argument("--context", type=int, default=8192, metavar="TOKENS", help="the model's context size")
    p.set_defaults(func=cmd_add)
    p = rsub.add_parser("list", parents=[common], help="list remote models")
    p.set_defaults(func=cmd_list)
    p = rsub.add_parser("remove", parents=[common], help="remove a remote model and its key")
    p.add_argument("name")
    p.set_defaults(func=cmd_remove)
