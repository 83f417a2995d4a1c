"""Who may call the server and how much they may send.

Bound to a loopback address the server needs no token, but checks the Host header (so a web page on another
site cannot reach it through DNS rebinding). On any other address it refuses to start without a token from the
environment, and then every API call must carry it (``Authorization: Bearer ...`` or the session cookie the
page sets after asking for it once).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request

TOKEN_ENV = "VIDEOKB_API_TOKEN"
COOKIE = "videokb_token"
MIN_TOKEN_CHARS = 16


class ServeConfigError(ValueError):
    """Settings the server refuses to start with; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServeConfig:
    db: Path
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None  # from $VIDEOKB_API_TOKEN, never a flag (it would show in `ps`)
    allow_ingest: bool = False
    device: str = "cpu"
    answerer: str = "gemma-270m"
    answerer_options: dict = field(default_factory=dict)
    cache_dir: Path | None = None  # clips made for files a browser cannot play
    max_json_bytes: int = 64 * 1024
    max_image_bytes: int = 8 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_query_chars: int = 500
    warm_up: bool = True

    def __post_init__(self) -> None:
        if self.token is None:
            self.token = os.environ.get(TOKEN_ENV) or None
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise ServeConfigError(f"${TOKEN_ENV} is too short: use at least {MIN_TOKEN_CHARS} random characters "
                                   "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`)")
        if not is_loopback(self.host) and self.token is None:
            raise ServeConfigError(
                f"refusing to listen on {self.host}: other machines could reach your library. Set ${TOKEN_ENV} "
                "to a secret token (every API call must then carry it), or serve on 127.0.0.1")

    @property
    def allowed_hosts(self) -> list[str] | None:
        """Host headers accepted without a token (loopback only); None = any (the token guards it)."""
        return None if self.token else ["127.0.0.1", "localhost", "::1", "[::1]"]


def require_token(request: Request) -> None:
    """Dependency on every /api route: the token, from the header or the session cookie, when one is set."""
    token = request.app.state.config.token
    if token is None:
        return
    given = request.headers.get("authorization", "")
    given = given[7:] if given.lower().startswith("bearer ") else request.cookies.get(COOKIE, "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "this server needs its API token: send `Authorization: Bearer TOKEN` "
                                 f"(the token is in the server's ${TOKEN_ENV})")


class BodyLimit:
    """ASGI middleware: refuse request bodies over the route's limit, by Content-Length or as they stream."""

    def __init__(self, app, config: ServeConfig) -> None:
        self.app = app
        self.config = config

    def _limit(self, path: str) -> int:
        return self.config.max_image_bytes + 64 * 1024 if path.endswith("/search/image") else self.config.max_json_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _json(send, 413, f"request body over the limit of {limit} bytes")
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, f"request body over the limit of {limit} bytes")
            return message

        await self.app(scope, limited, send)


class HostCheck:
    """ASGI middleware: on loopback without a token, only loopback Host headers (no DNS rebinding)."""

    def __init__(self, app, config: ServeConfig) -> None:
        self.app = app
        self.allowed = config.allowed_hosts

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and self.allowed is not None:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.allowed:
                return await _json(send, 400, f"Host {host!r} is not this server (it serves {', '.join(self.allowed)})")
        await self.app(scope, receive, send)


async def _json(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
