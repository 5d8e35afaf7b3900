"""Plumbing shared by the layers that answer hot requests in front of the router.

Reading a body while keeping the option to hand the request on, handing it on with
what was read, and answering with the endpoint's own step: its result, or the
problem document Litestar's exception handlers would have sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, ReceiveMessage, Scope, Send
from msgspec import Struct

from service.errors import BylineError
from service.http.caching import request_header
from service.http.middleware import request_id_of
from service.http.problems import PROBLEM_JSON, Problem, domain_problem, unexpected_problem
from service.http.public_types import encode
from service.services import Services

Headers = list[tuple[bytes, bytes]]
JSON = (b"content-type", b"application/json; charset=utf-8")
NO_STORE = (b"cache-control", b"no-store")
# A hot layer's own part: it answers the request, or hands it to the router it is given.
Layer = Callable[[ASGIApp, HTTPScope, Receive, Send, Services], Awaitable[None]]


def in_front_of(router: ASGIApp, state: State, layer: Layer) -> ASGIApp:
    """The router with `layer` in front: the layer sees HTTP requests once the app's
    services are up, and none under a root path (Litestar's router decides what the
    path is then); everything else goes straight to the router."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        svc: Services | None = state.get("services")  # set by the lifespan
        if scope["type"] != ScopeType.HTTP or svc is None or scope.get("root_path"):
            await router(scope, receive, send)
            return
        await layer(router, scope, receive, send, svc)

    return answer


def announced_length(scope: HTTPScope) -> int | None:
    text = request_header(scope, b"content-length")
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None  # absent, malformed or absurd: Litestar's to judge
    return int(text)


async def read_body(receive: Receive, limit: int) -> tuple[bytes | None, list[ReceiveMessage]]:
    """The whole body, or None (and what was read) if it runs past `limit` or breaks off."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages  # a disconnect: Litestar's to report
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            return None, messages
        if not message.get("more_body", False):
            return b"".join(chunks), messages


def replaying(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    """A receive that gives back what was already read, then reads on."""
    pending = list(messages)

    async def replay() -> ReceiveMessage:
        return pending.pop(0) if pending else await receive()

    return replay


async def send_answer(send: Send, status: int, headers: Headers, body: bytes) -> None:
    """Headers in the order Litestar writes them: the handler's, type, then length."""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_problem(send: Send, document: Problem) -> None:
    fields = [(name.lower().encode(), value.encode()) for name, value in document.headers.items()]
    fields.append((b"content-type", PROBLEM_JSON.encode()))
    await send_answer(send, document.status, fields, document.body)


def problem_of(scope: HTTPScope, exc: Exception, *, no_store_problems: bool) -> Problem:
    """The problem Litestar's handlers would answer for an endpoint step's error
    (a domain problem, or a logged 500).

    `no_store_problems`: the endpoint's own exception handlers add no-store to
    domain problems (the moderation controller's do); a 500 never has it.
    """
    if isinstance(exc, BylineError):
        document = domain_problem(exc, scope["method"], scope["path"])
        if no_store_problems:
            document.headers["Cache-Control"] = "no-store"
        return document
    return unexpected_problem(scope["method"], scope["path"], request_id_of(scope), exc)


async def send_result(send: Send, status: int, result: Struct) -> None:
    """An endpoint's result as JSON, never stored by a cache."""
    await send_answer(send, status, [NO_STORE, JSON], encode(result))


async def answer_with(
    scope: HTTPScope, send: Send, step: Awaitable[Struct], status: int, *, no_store_problems: bool
) -> None:
    """Runs the endpoint's step and sends its result or its problem (`problem_of`)."""
    try:
        result = await step
    except Exception as exc:
        await send_problem(send, problem_of(scope, exc, no_store_problems=no_store_problems))
        return
    await send_result(send, status, result)
