"""What the server tests share: the app over the session's sample library, and raw ASGI requests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote

from videokb.server import ServeConfig, create_app


def make_app(store, tmp: Path, models_cache: Path, **overrides):
    settings = {"device": "cpu", "cache_dir": tmp / "serve-cache", "warm_up": False,
                "answerer_options": {"cache_dir": models_cache}, **overrides}
    config = ServeConfig(db=Path(store.uri), **settings)
    return create_app(config)


def raw_get(app, raw_path: bytes, host: bytes = b"127.0.0.1") -> tuple[int, bytes]:
    """GET exactly ``raw_path`` (an HTTP client would resolve ``..`` before sending), decoded as uvicorn does."""
    path, _, query = raw_path.partition(b"?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": unquote(path.decode("ascii")), "raw_path": path, "query_string": query, "root_path": "",
             "headers": [(b"host", host)], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}
    out: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["body"]
