"""The server-only ceiling: a raw ASGI app returning the same bytes as ceiling_app.

With ``BENCH_POST_DB`` set it also takes ``POST /post`` as bench/post_floor.py
says: Byline's storage work for a new comment, with no handler work around it.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

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


POSTS = bool(os.environ.get("BENCH_POST_DB"))
Receive = Callable[[], Awaitable[Message]]


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if POSTS and scope["path"] == "/post" and scope["method"] == "POST":
        await _post(receive, send)
        return
    body = BODIES.get(scope["path"])
    if body is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    if POSTS:
        from bench import post_floor
    while (await receive())["type"] != "lifespan.shutdown":
        if POSTS:
            await post_floor.open_db()
        await send({"type": "lifespan.startup.complete"})
    if POSTS:
        await post_floor.close_db()
    await send({"type": "lifespan.shutdown.complete"})


async def _post(receive: Receive, send: Send) -> None:
    from bench import post_floor

    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    receipt = await post_floor.store(msgspec.json.decode(b"".join(chunks)))
    body = msgspec.json.encode({"comment": receipt})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": body})
