"""Request ids and security headers on every response, errors included; and a
mark on the scope when the client disconnects mid-request.

A `before_send` hook rather than a middleware: Litestar runs it for every response
the app sends, including router 404s and error documents, and it costs a few
microseconds.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import os
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_JSON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
]
# The docs page runs Swagger UI's scripts and styles from our own origin.
_DOCS_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' "
        b"'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    ),
]
_PREFIX = f"{os.getpid():x}{os.urandom(2).hex()}"
_counter = itertools.count(1)


# The current request's id, for log records (service.http.logs); "-" outside requests.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "byline_request_id", default="-"
)


CLIENT_GONE = "byline.client_gone"  # a scope key: the client disconnected mid-request


def noting_disconnects(scope: Scope, receive: Receive) -> Receive:
    """`receive`, marking the scope once the server reports the client gone.

    Litestar answers a body cut short by a disconnect with an internal-error
    exception; the mark lets the error handlers tell that from a bug of ours.
    """

    async def received() -> Any:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope[CLIENT_GONE] = True  # type: ignore[literal-required]
        return message

    return received


def with_request_id(app: ASGIApp) -> ASGIApp:
    """Makes the request id known to log records for the whole request.

    Wrapped around the whole router (not a route middleware), so router 404s and
    exception handlers run inside it. The metrics wrapper does the same itself.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        token = current_request_id.set(request_id_of(scope))
        try:
            await app(scope, noting_disconnects(scope, receive), send)
        finally:
            current_request_id.reset(token)

    return wrapped


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"


class _RequestIdRecords:
    """A log record factory that stamps every record with the current request id.

    A factory rather than a handler filter: every handler (the app's queue, a test's
    capture, an operator's extra one) sees the same attribute, and records made
    outside a request get "-".
    """

    def __init__(self, base: Any) -> None:
        self._base = base

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self._base(*args, **kwargs)
        record.request_id = current_request_id.get()
        return record


def install_request_id_logging() -> None:
    """Idempotent: called by create_app (never at import), once per process in effect."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _RequestIdRecords):
        logging.setLogRecordFactory(_RequestIdRecords(current))


def request_id_of(scope: Scope) -> str:
    """The request's id, made on first use: a process prefix and a counter."""
    state: dict[str, Any] = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        rid = state["request_id"] = f"{_PREFIX}-{next(_counter):x}"
    return str(rid)


# API.md's media type; Litestar writes application/json alone.
_JSON_UTF8 = b"application/json; charset=utf-8"


def _corrected(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """A header as the router wrote it, put right where it does not know ours."""
    if name == b"content-type" and value == b"application/json":
        return name, _JSON_UTF8
    if name == b"allow" and b"GET" in value and b"HEAD" not in value:
        # Every GET route answers HEAD too (head.py); the router's 405s and
        # OPTIONS answers list only the methods it routes.
        return name, value.replace(b"GET", b"GET, HEAD", 1)
    return name, value


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    path: str = scope.get("path", "")
    extra = _DOCS_HEADERS if path.startswith(("/schema", "/static")) else _JSON_HEADERS
    headers = [
        _corrected(k.lower(), v) for k, v in message.get("headers", []) if k.lower() != b"server"
    ]
    headers.extend(extra)
    headers.append((b"x-request-id", request_id_of(scope).encode()))
    message["headers"] = headers
