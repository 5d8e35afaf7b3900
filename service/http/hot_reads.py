"""The hottest public reads, answered from the response cache in front of the router.

A cached article page spent most of its CPU in Litestar's own machinery (routing,
parameter parsing, the Response object), not in Byline. This layer answers the
article page and its comments list without that machinery, but only when:

- the request is a GET whose path and query string it fully understands;
- the handlers' own validity check passes (`page_versions`: nothing committed
  anywhere since the article's versions were read; the article published and due);
- for a 200, the cache already holds the body a handler built for that very key.

It never builds a body, and the key comes from the handlers' own functions, so it
sends what Litestar would send. Anything else (another method, path or parameter,
an encoded query, a miss, an unknown article, any error) falls through to
Litestar unchanged, which then answers (and logs) as always.

It sits inside the metrics wrapper and Litestar's `before_send` hooks, so the
request id, the security and CORS headers and the metrics are the same by
construction.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from service.comments.thread import thread_position
from service.fields import is_slug
from service.http.articles import IncludeParts, comments_key, page_key, page_versions
from service.http.caching import cache_headers, etag_matches, etag_of, request_header
from service.services import Services
from service.storage.articles import PageVersions

_PREFIX = "/v1/articles/"
_COMMENTS = "/comments"
_PAGE_ROUTE = "/v1/articles/{slug}"
_LIST_ROUTE = "/v1/articles/{slug}/comments"
_PAGE_PARAMETERS = frozenset({"include", "limit", "sort"})
_LIST_PARAMETERS = frozenset({"limit", "sort", "cursor"})
_LIMIT = re.compile(r"[1-9][0-9]?|100")  # 1-100 written plainly; anything else: Litestar
_SORTS = frozenset({"oldest", "newest"})
_JSON = (b"content-type", b"application/json; charset=utf-8")
# Longer request lines are never ours (slugs and cursors are short); the bound also
# keeps what the memo below can be made to hold small.
_LONGEST = 512


def query(raw: bytes, allowed: frozenset[str]) -> dict[str, str] | None:
    """The parameters, or None for anything unusual (Litestar then decides)."""
    if not raw:
        return {}
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        return None  # encoded forms are Litestar's to decode
    found: dict[str, str] = {}
    for pair in text.split("&"):
        name, equals, value = pair.partition("=")
        if not equals or name not in allowed or name in found:
            return None
        found[name] = value
    return found


class Read(NamedTuple):
    """A request this layer understands: which article, and what keys its answer."""

    slug: str
    route: str
    parts: frozenset[str] | None  # the page's ?include=; None for the comments list
    sort: str
    limit: int
    cursor: str | None


@lru_cache(maxsize=1024)  # a pure function of the request line; clients repeat theirs
def understood(path: str, raw_query: bytes) -> Read | None:
    rest = path[len(_PREFIX) :]
    listing = rest.endswith(_COMMENTS)
    slug = rest[: -len(_COMMENTS)] if listing else rest
    params = query(raw_query, _LIST_PARAMETERS if listing else _PAGE_PARAMETERS)
    if not is_slug(slug) or params is None:
        return None
    limit, sort = params.get("limit", "20"), params.get("sort", "oldest")
    if _LIMIT.fullmatch(limit) is None or sort not in _SORTS:
        return None
    if listing:
        return Read(slug, _LIST_ROUTE, None, sort, int(limit), params.get("cursor"))
    include = params.get("include")
    parts = frozenset(include.split(",")) if include is not None else frozenset()
    if parts - IncludeParts:  # an empty part or an unknown one: Litestar's 400
        return None
    return Read(slug, _PAGE_ROUTE, parts, sort, int(limit), None)


def cache_key(read: Read, versions: PageVersions) -> str:
    if read.parts is None:
        return comments_key(versions, read.sort, read.limit, read.cursor)
    return page_key(versions, read.parts, read.sort, read.limit)


@lru_cache(maxsize=1024)
def _validators(etag: str, max_age: int) -> tuple[tuple[bytes, bytes], ...]:
    fields = cache_headers(etag, max_age).items()
    return tuple((name.lower().encode(), value.encode()) for name, value in fields)


def hot_reads(app: ASGIApp, state: State) -> ASGIApp:
    """Wraps the router: answers cached page and comment reads, passes on the rest."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        path = scope["path"]
        services: Services | None = state.get("services")  # set by the lifespan
        read = None
        raw_query = scope["query_string"]
        if (
            services is not None
            and scope["method"] == "GET"
            and not scope.get("root_path")  # Litestar's router decides what the path is then
            and path.startswith(_PREFIX)
            and len(path) + len(raw_query) <= _LONGEST
        ):
            read = understood(path, raw_query)
        if services is None or read is None:
            await app(scope, receive, send)
            return
        try:
            versions = await page_versions(services, read.slug)
            # A cursor this list never gave out: Litestar's 400.
            thread_position(services.keys, versions.id, read.sort, read.cursor)
            key = cache_key(read, versions)
        except Exception:  # no such article, storage trouble: Litestar answers (and logs)
            await app(scope, receive, send)
            return
        etag = etag_of(services, key)
        headers = list(_validators(etag, services.settings.public_max_age))
        if etag_matches(request_header(scope, b"if-none-match"), etag):
            status, body = 304, b""
        else:
            cached = services.cache.get(key)
            if cached is None:
                await app(scope, receive, send)
                return
            status, body = 200, cached
            headers += [_JSON, (b"content-length", str(len(body)).encode())]
        scope["path_template"] = read.route  # for the metrics, as Litestar's router sets it
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return answer
