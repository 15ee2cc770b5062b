"""`desktop-llm serve`: the OpenAI-compatible API in the foreground."""

from __future__ import annotations

import os
import sys

from desktop_llm.cli.common import open_core
from desktop_llm.core.server.runner import DEFAULT_PORT, ApiServer, configured_api_key


def cmd_serve(args) -> int:
    with open_core() as core:
        key = configured_api_key(args.api_key or os.environ.get("DESKTOP_LLM_API_KEY"))
        server = ApiServer(core, args.host, args.port, key, tuple(args.cors or ()), tuple(args.allow_host or ()))
        model = core.resolve_model(args.model)
        print(f"Serving the OpenAI API at {server.url} — default model {model.name}"
              f"{', API key required' if key else ''}. Ctrl+C stops.", file=sys.stderr)
        try:
            server.run()
        except KeyboardInterrupt:  # uvicorn stops cleanly, then passes Ctrl+C on
            pass
        print("The API server stopped.", file=sys.stderr)
        return 0


def add_parser(sub, common) -> None:
    serve = sub.add_parser("serve", parents=[common], help="serve the OpenAI-compatible API (loopback by default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--api-key", metavar="KEY", help="require 'Authorization: Bearer KEY' (or set "
                       "DESKTOP_LLM_API_KEY; default: the key set in Settings); needed for a non-loopback address")
    serve.add_argument("--cors", action="append", metavar="ORIGIN", help="allow browser pages from ORIGIN")
    serve.add_argument("--allow-host", action="append", metavar="NAME",
                       help="also answer requests addressed to NAME (besides localhost and 127.0.0.1)")
    serve.set_defaults(func=cmd_serve, serves=True)
