"""The server-only ceiling: a raw ASGI app returning the same bytes as ceiling_app.

With ``BENCH_POST_DB`` set it also takes ``POST /post`` and the decision paths as
bench/storage_floor.py says: Byline's storage work, with no handler work around it.
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
    if POSTS and scope["method"] == "POST":
        await _write(scope["path"], receive, send)
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
        from bench import storage_floor
    while (await receive())["type"] != "lifespan.shutdown":
        if POSTS:
            try:
                await storage_floor.open_db()
            except Exception as exc:  # the server must not start, or every write is a cheap 500
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
        await send({"type": "lifespan.startup.complete"})
    if POSTS:
        await storage_floor.close_db()
    await send({"type": "lifespan.shutdown.complete"})


async def _write(path: str, receive: Receive, send: Send) -> None:
    from bench import storage_floor

    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    decision = storage_floor.decision_of(path)
    if decision is not None:
        status, answer = 200, await storage_floor.decide(*decision)
    else:
        receipt = await storage_floor.store(msgspec.json.decode(b"".join(chunks)))
        status, answer = 202, {"comment": receipt}
    body = msgspec.json.encode(answer)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
