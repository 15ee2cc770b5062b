"""Start and stop the API server (uvicorn) — in the foreground for
`desktop-llm serve`, on a background thread for the window."""

from __future__ import annotations

import socket
import threading
import time

from desktop_llm.core.errors import UserError
from desktop_llm.core.secrets import get_secret
from desktop_llm.core.server.guard import RequestGuard, is_loopback
from desktop_llm.core.server.openai_api import OpenAIApi

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4891
API_KEY_ACCOUNT = "api-server-key"  # the keyring entry of the key set in Settings


def configured_api_key(given: str | None = None) -> str | None:
    """The key the server requires: one given for this run, else the one set
    in Settings (kept in the keyring); None when none is set."""
    return given or get_secret(API_KEY_ACCOUNT) or None


class ApiServer:
    def __init__(self, core, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, api_key: str | None = None,
                 cors_origins: tuple[str, ...] = (), allowed_hosts: tuple[str, ...] = ()):
        if not is_loopback(host) and not api_key:
            raise UserError(f"Serving on {host} lets other computers use your model: set an API key "
                            "(--api-key, or in Settings) first.")
        self.core = core
        self.host, self.port, self.api_key = host, port, api_key
        self.api = OpenAIApi(core, api_key, cors_origins, RequestGuard(host, cors_origins, allowed_hosts))
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def _make(self):
        import uvicorn

        core = self.core

        class Server(uvicorn.Server):
            def handle_exit(self, sig, frame) -> None:
                """Ctrl+C: stop what the model is doing for the API, so the server ends at once
                (uvicorn waits for open requests, and a reply can run for minutes)."""
                super().handle_exit(sig, frame)
                core.cancel_jobs()

        config = uvicorn.Config(self.api.app, host=self.host, port=self.port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = Server(config)
        return self._server

    def check_port(self) -> None:
        with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise UserError(f"Port {self.port} on {self.host} is in use (or not allowed). Choose another "
                                "port (--port, or in Settings).", detail=repr(exc)) from exc

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C)."""
        self.check_port()
        self._make().run()

    def start(self) -> None:
        """Serve on a background thread; returns once it listens."""
        self.check_port()
        server = self._make()
        self._thread = threading.Thread(target=server.run, name="api-server", daemon=True)
        self._thread.start()
        for _ in range(200):
            if server.started or not self._thread.is_alive():
                break
            time.sleep(0.025)
        if not server.started:
            raise UserError(f"The API server could not start on {self.host}:{self.port}.")

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
