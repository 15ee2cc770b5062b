"""Who may use the API server: a web page only from an origin allowed with
--cors, only under the names the server listens on (so a page that renamed
a host of its own to 127.0.0.1 — DNS rebinding — is refused), and only with
a JSON body (a "simple" cross-origin POST of text/plain needs no preflight)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import Request

from desktop_llm.core.server.requests import ApiError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(value: str) -> str:
    """The name in a Host header ("localhost:4891", "[::1]:4891") without its port."""
    return (urlsplit(f"//{value}").hostname or "").lower()


class RequestGuard:
    def __init__(self, listen_host: str, cors_origins: tuple[str, ...] = (), allowed_hosts: tuple[str, ...] = ()):
        self.origins = {o.rstrip("/").lower() for o in cors_origins}
        if is_loopback(listen_host):
            names = {*LOOPBACK_NAMES, listen_host.lower(), *(h.lower() for h in allowed_hosts)}
            self.hosts: set[str] | None = {_hostname(n) or n for n in names}
        else:  # other computers reach it under names of their own; it needs an API key there
            self.hosts = None

    def check(self, request: Request) -> None:
        if self.hosts is not None:
            host = _hostname(request.headers.get("host", ""))
            if host not in self.hosts:
                raise ApiError(403, f"This server answers only as {', '.join(sorted(self.hosts))}, not as "
                                    f"'{host}'. (Use --allow-host NAME to add a name.)", "host_not_allowed")
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in self.origins:
            raise ApiError(403, f"Web pages from {origin} may not use this server. Allow them with "
                                f"--cors {origin} if you trust them.", "origin_not_allowed")

    @staticmethod
    def check_json(request: Request) -> None:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise ApiError(415, "Send the request body as JSON (Content-Type: application/json).",
                           "unsupported_media_type")
