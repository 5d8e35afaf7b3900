"""A reader's comment POST, answered in front of the router.

Litestar's routing, request and response objects cost a post 0.15-0.3 ms of CPU on
the server, more than judging its text. This layer takes the common case
past them, with the endpoint's own steps (`take_comment`, the problem documents):

- a POST to /v1/articles/{slug}/comments with a plain slug;
- Content-Type JSON, Content-Length announced and within the limit;
- fewer posts in flight than the worker's limit.

Anything else goes to Litestar before any of the body is read: other paths and
methods, requests under a root path, chunked or oversized bodies, the 415 and 503
refusals. A body that runs past the limit whatever it announced, or a client that
disconnects, is handed on too, with the part already read replayed. Once the body
is in, this layer answers: the receipt, a domain problem (400, 403, 404, 409, 429,
503) or a logged 500, each built by the same function Litestar's handlers use.

Like the hot reads, it sits inside the metrics wrapper and Litestar's `before_send`
hooks, so request ids, security and CORS headers and metrics are the same.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.types import ASGIApp, HTTPScope, Receive, Send

from service.fields import is_slug
from service.http.body import is_json_media_type
from service.http.caching import request_header
from service.http.clients import client_network_of
from service.http.comments import post_body_limit, posts_saturated, take_comment
from service.http.hot_path import (
    announced_length,
    answer_with,
    in_front_of,
    read_body,
    replaying,
)
from service.http.public_types import CommentReceipt
from service.services import Services

_PREFIX = "/v1/articles/"
_SUFFIX = "/comments"
_ROUTE = "/v1/articles/{slug}/comments"  # as Litestar's router names it, for the metrics


def _slug_of(scope: HTTPScope) -> str | None:
    path: str = scope["path"]
    if scope["method"] != "POST" or not path.startswith(_PREFIX) or not path.endswith(_SUFFIX):
        return None
    slug = path[len(_PREFIX) : -len(_SUFFIX)]
    return slug if is_slug(slug) else None


def _takes(scope: HTTPScope, svc: Services) -> bool:
    """Whether this layer answers the request: Litestar's early refusals stay Litestar's."""
    length = announced_length(scope)
    return (
        length is not None
        and length <= post_body_limit(svc)
        and is_json_media_type(request_header(scope, b"content-type"))
        and not posts_saturated(svc)
    )


def hot_posts(router: ASGIApp, state: State) -> ASGIApp:
    """Wraps the router: answers comment posts, passes on everything else."""
    return in_front_of(router, state, _answer_post)


async def _answer_post(
    router: ASGIApp, scope: HTTPScope, receive: Receive, send: Send, svc: Services
) -> None:
    slug = _slug_of(scope)
    if slug is None or not _takes(scope, svc):
        await router(scope, receive, send)
        return
    body, messages = await read_body(receive, post_body_limit(svc))
    if body is None:
        await router(scope, replaying(messages, receive), send)
        return
    scope["path_template"] = _ROUTE

    async def step() -> CommentReceipt:
        client = scope.get("client")
        peer = client[0] if client else None
        proxies = svc.settings.trusted_proxies
        forwarded_for = request_header(scope, b"x-forwarded-for") if proxies else None
        network = client_network_of(peer, forwarded_for, proxies)
        return await take_comment(svc, slug, body, network)

    await answer_with(scope, send, step(), 202, no_store_problems=False)
