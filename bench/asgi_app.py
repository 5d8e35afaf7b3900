"""The server-only ceiling: a raw ASGI app returning the same bytes as ceiling_app."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]

HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"public, max-age=0, must-revalidate"),
    (b"etag", b'"bench-1"'),
]
BODIES = {
    "/page": Path(os.environ["BENCH_PAGE_FILE"]).read_bytes(),
    "/list": Path(os.environ["BENCH_LIST_FILE"]).read_bytes(),
    "/tiny": b'{"ok":true}',
}


async def app(scope: Message, receive: Callable[[], Awaitable[Message]], send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = BODIES.get(scope["path"])
    if body is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
