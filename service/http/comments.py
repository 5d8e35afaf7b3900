"""Public comment endpoints: post, counts, and the commenter's own comment."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, QueryParameter

from moderation.states import Status, visible_status
from service.clock import now_text
from service.comments import owner, posting, thread
from service.content.articles import get_public_article
from service.errors import FieldError, InvalidInput, NotFound
from service.fields import is_slug
from service.http.articles import Limit, checked_slug, comments_key, page_versions
from service.http.body import decode_object, require_json
from service.http.caching import cached_json, fresh_json
from service.http.clients import client_network
from service.http.comment_requests import CommentEditBody, NewCommentBody
from service.http.openapi_body import body_operation
from service.http.problems import INVALID_PARAMETERS, problem
from service.http.public_mapping import comment_list
from service.http.public_types import (
    CommentAuthor,
    CommentCounts,
    CommentList,
    CommentReceipt,
    PublicComment,
    encode,
)
from service.services import Services, services
from service.storage import comments as store
from service.storage.owner import OwnCommentRow

NO_STORE = {"Cache-Control": "no-store"}


def own_view(row: OwnCommentRow) -> PublicComment:
    """The commenter's view of their own comment, whatever its status."""
    author = None
    if row.name is not None and row.avatar_key is not None:
        author = CommentAuthor(name=row.name, website=row.website, avatar_key=row.avatar_key)
    return PublicComment(
        id=row.public_id,
        parent_id=row.parent_public_id,
        depth=row.depth,
        author=author,
        body_html=row.body_html,
        created_at=row.created_at,
        edited_at=row.edited_at,
        removed=row.removed,
    )


def _token(request: Request[Any, Any, Any]) -> str | None:
    return request.headers.get("x-edit-token")


POST_MAX_BODY_BYTES = 64 * 1024  # Litestar's cap for the route; the setting may be lower


def posts_saturated(svc: Services) -> bool:
    return svc.posts_in_flight >= svc.settings.max_posts_in_flight


def post_body_limit(svc: Services) -> int:
    return min(svc.settings.comment_max_body_bytes, POST_MAX_BODY_BYTES)


async def take_comment(svc: Services, slug: str, body: bytes, client: str) -> CommentReceipt:
    """A post's body, decoded, judged and stored: the receipt, or a BylineError."""
    raw = decode_object(body)
    if not is_slug(slug):
        raise NotFound("no such article")
    svc.posts_in_flight += 1
    try:
        accepted = await posting.submit(svc.db, svc.keys, svc.settings, slug, raw, client)
    finally:
        svc.posts_in_flight -= 1
    return CommentReceipt(
        comment=own_view(accepted.comment),
        status=Status.PENDING.value,  # spam answers exactly like pending
        edit_token=accepted.edit_token,
        edit_expires_at=accepted.edit_expires_at,
    )


class CommentController(Controller):
    path = "/v1"
    tags = ["comments"]

    @post(
        "/articles/{slug:str}/comments",
        status_code=202,
        operation_class=body_operation(NewCommentBody),
        request_max_body_size=POST_MAX_BODY_BYTES,
        summary="Leave a reply; it waits for moderation",
    )
    async def post_comment(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[CommentReceipt]:
        # service/http/hot_posts.py answers most posts before they get here, with the
        # same checks in the same order and the same take_comment.
        svc = services(request)
        if posts_saturated(svc):
            # Past this, each new post would only wait behind the others: refuse it now.
            return problem(  # type: ignore[return-value]
                503, "too many comments are being posted; retry shortly",
                headers={"Retry-After": "1"},
            ).response()  # fmt: skip
        require_json(request)
        body = await request.body()
        if len(body) > post_body_limit(svc):
            too_large = problem(413, "the request body is too large")
            return too_large.response()  # type: ignore[return-value]
        client = client_network(request, svc.settings.trusted_proxies)
        receipt = await take_comment(svc, slug, body, client)
        return Response(receipt, status_code=202, headers=NO_STORE)

    @get("/articles/{slug:str}/comments", summary="Approved comments in thread order")
    async def list_comments(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        sort: Annotated[str, QueryParameter(description="oldest or newest")] = "oldest",
        limit: Limit = 20,
        cursor: Annotated[str | None, QueryParameter()] = None,
    ) -> Response[CommentList]:
        svc = services(request)
        if sort not in ("oldest", "newest"):
            raise InvalidInput([FieldError("sort", "must be oldest or newest")])
        # The small versions row decides; the article itself is read only to rebuild.
        versions = await page_versions(svc, checked_slug(slug))
        # Before the ETag: a cursor this list never gave out is a 400, even to If-None-Match: *.
        thread.thread_position(svc.keys, versions.id, sort, cursor)
        key = comments_key(versions, sort, limit, cursor)

        async def build() -> bytes:
            article = await get_public_article(svc.db, slug)
            page = await thread.list_thread(
                svc.db, svc.keys, article, sort=sort, limit=limit, cursor=cursor
            )
            return encode(comment_list(page))

        return await cached_json(request, key, build)  # type: ignore[return-value]

    @get("/comments/counts", summary="Approved comment counts for several articles")
    async def counts(
        self,
        request: Request[Any, Any, Any],
        # Required in the schema; the default lets an absent one reach this handler,
        # which names it (Litestar's own 400 names no field).
        article: Annotated[
            list[str] | None,
            QueryParameter(description="Article slugs (1 to 100).", required=True),
        ] = None,
    ) -> Response[CommentCounts]:
        if not article:
            raise InvalidInput([FieldError("article", "is required")], INVALID_PARAMETERS)
        if len(article) > 100:
            raise InvalidInput(
                [FieldError("article", "at most 100 articles per request")], INVALID_PARAMETERS
            )
        slugs = [slug for slug in article if is_slug(slug)]
        found = await store.count_shown(services(request).db, slugs, now_text()) if slugs else {}
        counts = {slug: found.get(slug, 0) for slug in article}
        return await fresh_json(request, encode(CommentCounts(counts=counts)))  # type: ignore[return-value]

    @get("/comments/{comment_id:str}", summary="The commenter's own comment (X-Edit-Token)")
    async def get_own(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[CommentReceipt]:
        svc = services(request)
        row = await owner.read_own(svc.db, svc.keys, comment_id, _token(request))
        return Response(_receipt(row), headers=NO_STORE)

    @patch(
        "/comments/{comment_id:str}",
        operation_class=body_operation(CommentEditBody),
        request_max_body_size=64 * 1024,
        summary="Edit one's own comment within the edit window",
    )
    async def edit_own(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[CommentReceipt]:
        svc = services(request)
        token = _token(request)
        require_json(request)
        raw = decode_object(await request.body())
        row = await owner.edit_own(svc.db, svc.keys, svc.settings, comment_id, token, raw)
        return Response(_receipt(row), headers=NO_STORE)

    @delete("/comments/{comment_id:str}", status_code=204, summary="Delete one's own comment")
    async def delete_own(self, request: Request[Any, Any, Any], comment_id: FromPath[str]) -> None:
        svc = services(request)
        await owner.delete_own(svc.db, svc.keys, comment_id, _token(request))


def _receipt(row: OwnCommentRow) -> CommentReceipt:
    return CommentReceipt(comment=own_view(row), status=visible_status(Status(row.status)))
