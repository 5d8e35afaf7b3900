"""CORS by route, not app-wide (API.md, "Abuse").

- Public reads (GET/HEAD, and their preflights) are open to every origin: `*`,
  sent even without an `Origin` header so that a shared cache stays correct.
- Writes on the public comment routes (POST a comment, PATCH/DELETE one's own)
  are allowed only from `BYLINE_CORS_ORIGINS`; empty means no cross-origin writes.
  A preflight from any other origin is answered without CORS headers, which is
  how a browser is told "no".
- Moderation, admin and metrics routes send no CORS headers at all: a browser
  page on another origin has no business reading them.

Litestar's CORSConfig is one policy for the whole app, so this is a `before_send`
hook instead: it sees every response, router 404s and error documents included,
and answers preflights by decorating the 204 that Litestar's automatic OPTIONS
handler already sends. It costs a scan of the request headers per response.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from litestar.types import Message, Scope

_READ_METHODS = frozenset({"GET", "HEAD"})
_WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})
_CLOSED_PREFIXES = ("/v1/moderation", "/v1/admin", "/metrics")
# The public routes a browser may write to: POST a comment; PATCH/DELETE one's own.
_WRITABLE = (
    (re.compile(r"/v1/articles/[^/]+/comments/?"), frozenset({"POST"})),
    (re.compile(r"/v1/comments/[^/]+/?"), frozenset({"PATCH", "DELETE"})),
)
_ALLOW_HEADERS = b"content-type, x-edit-token, if-none-match"
_EXPOSE_HEADERS = (b"access-control-expose-headers", b"etag, retry-after, x-request-id")
_MAX_AGE = (b"access-control-max-age", b"600")
_VARY_ORIGIN = (b"vary", b"Origin")


def _request_header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _writable(path: str, method: str) -> bool:
    return any(
        method in methods and pattern.fullmatch(path) is not None for pattern, methods in _WRITABLE
    )


class Cors:
    """The `before_send` hook; `origins` are the writing origins (`*` means any)."""

    def __init__(self, origins: Iterable[str]) -> None:
        listed = {origin.rstrip("/").lower() for origin in origins}
        self._any_writer = "*" in listed
        self._writers = frozenset(o.encode("latin-1") for o in listed if o != "*")

    def _may_write(self, origin: bytes) -> bool:
        return self._any_writer or origin.lower() in self._writers

    def headers_for(self, scope: Scope, origin: bytes) -> list[tuple[bytes, bytes]]:
        """The CORS headers for this request's response; empty means none."""
        path: str = scope.get("path", "")
        if path.startswith(_CLOSED_PREFIXES):
            return []
        method = str(scope.get("method", "GET"))
        if method == "OPTIONS":
            return self._preflight(scope, path, origin)
        if method in _READ_METHODS:
            return [(b"access-control-allow-origin", b"*"), _EXPOSE_HEADERS]
        if method in _WRITE_METHODS and _writable(path, method) and self._may_write(origin):
            return [(b"access-control-allow-origin", origin), _EXPOSE_HEADERS, _VARY_ORIGIN]
        return []

    def _preflight(self, scope: Scope, path: str, origin: bytes) -> list[tuple[bytes, bytes]]:
        wanted = (_request_header(scope, b"access-control-request-method") or b"").decode("latin-1")
        wanted = wanted.strip().upper()
        if wanted in _READ_METHODS:
            return [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", b"GET, HEAD"),
                (b"access-control-allow-headers", _ALLOW_HEADERS),
                _MAX_AGE,
            ]
        if wanted in _WRITE_METHODS and _writable(path, wanted) and self._may_write(origin):
            return [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-methods", f"GET, HEAD, {wanted}".encode()),
                (b"access-control-allow-headers", _ALLOW_HEADERS),
                _MAX_AGE,
                _VARY_ORIGIN,
            ]
        return []

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        origin = _request_header(scope, b"origin")
        if origin is None:
            # Reads get `*` even without an Origin: a shared cache (CDN) may hand
            # this very response to a browser on another origin later.
            if scope.get("method") not in _READ_METHODS or scope.get("path", "").startswith(
                _CLOSED_PREFIXES
            ):
                return
            origin = b""
        extra = self.headers_for(scope, origin)
        if extra:
            message["headers"] = [*message.get("headers", ()), *extra]
