"""HEAD: the GET answer's status and headers, without its body (RFC 9110 9.3.2).

Litestar routes a HEAD only to handlers declared for it, so every GET route
would answer it 405. Monitors and caches send HEAD; rather than declare it on
each route, a HEAD runs as the GET it stands for (the cached fast paths
included), and the body is dropped on its way out. Content-Length stays the
GET's, as the RFC asks.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_NO_BODY: Message = {"type": "http.response.body", "body": b"", "more_body": False}


def head_as_get(app: ASGIApp) -> ASGIApp:
    async def answered(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send(_NO_BODY)

        # The scope itself, not a copy: the router and the fast paths note the
        # route on it, which the metrics wrapper outside reads afterwards.
        scope["method"] = "GET"
        try:
            await app(scope, receive, without_body)
        finally:
            scope["method"] = "HEAD"

    return answered
