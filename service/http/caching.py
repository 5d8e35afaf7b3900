"""Conditional GETs: ETag, Cache-Control and 304, which Litestar does not do itself."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.types import Scope

from service.services import Services, services


def request_header(scope: Scope, name: bytes) -> str | None:
    """The first value of a (lower-case) request header, read straight from the scope:
    cheaper than building Litestar's Headers object for the one header we need."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def etag_of(svc: Services, version_key: str) -> str:
    etag = svc.cache.etags.get(version_key)
    if etag is None:
        # Hashed: the key carries client-chosen text (cursors, tags) unfit for a header.
        etag = _weak_etag(version_key.encode())
        svc.cache.remember_etag(version_key, etag)
    return etag


def _weak_etag(data: bytes) -> str:
    return f'W/"{hashlib.blake2b(data, digest_size=12).hexdigest()}"'


def cache_headers(etag: str, max_age: int) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}


async def cached_json(
    request: Request[Any, Any, Any], version_key: str, build: Callable[[], Awaitable[bytes]]
) -> Response[bytes]:
    """Answer 304 if the client has this version, else the encoded body (cached by version)."""
    svc = services(request)

    async def cached() -> bytes:
        body = svc.cache.get(version_key)
        if body is None:
            body = await build()
            svc.cache.put(version_key, body)
        return body

    return await _conditional_json(request, etag_of(svc, version_key), cached)


async def fresh_json(request: Request[Any, Any, Any], body: bytes) -> Response[bytes]:
    """A public answer built on every request, validated by its bytes: for a small
    body whose inputs have no one version to key on (several articles' counts)."""

    async def given() -> bytes:
        return body

    return await _conditional_json(request, _weak_etag(body), given)


async def _conditional_json(
    request: Request[Any, Any, Any], etag: str, body: Callable[[], Awaitable[bytes]]
) -> Response[bytes]:
    """304 if the client holds `etag`, else the body; both with the cache headers."""
    headers = cache_headers(etag, services(request).settings.public_max_age)
    if etag_matches(request_header(request.scope, b"if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(await body(), media_type=MediaType.JSON, headers=headers)
