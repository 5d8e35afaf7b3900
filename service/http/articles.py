"""Public content: article lists, one article (optionally the whole page), related."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from service.clock import now_text
from service.comments import thread
from service.content.articles import get_public_article
from service.cursors import make_cursor, read_cursor
from service.errors import FieldError, InvalidInput, NotFound
from service.fields import is_slug
from service.http.caching import cached_json
from service.http.public_mapping import (
    article_summary,
    comment_list,
    public_article,
    related_article,
)
from service.http.public_types import (
    ArticleList,
    PublicArticle,
    RelatedList,
    encode,
)
from service.services import Services, services
from service.storage import articles as article_store
from service.storage import authors as author_store
from service.storage import related as related_store

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size (1-100).")]
RelatedLimit = Annotated[int, QueryParameter(ge=1, le=10, description="How many (1-10).")]
IncludeParts = frozenset({"related", "comments"})


def parse_include(include: list[str] | None) -> frozenset[str]:
    """Every ?include= given, each a comma-separated list."""
    parts = frozenset(p.strip() for given in include or () for p in given.split(",") if p.strip())
    if parts - IncludeParts:
        # The client's text is not echoed: it could be anything, an address included.
        raise InvalidInput([FieldError("include", "may only name related and comments")])
    return parts


def checked_slug(slug: str) -> str:
    if not is_slug(slug):
        raise NotFound("no such article")
    return slug


async def page_versions(svc: Services, slug: str) -> article_store.PageVersions:
    """The versions keying a published article's page, remembered while nothing commits.

    `PRAGMA data_version` moves whenever any connection, in any worker, commits, so
    the remembered row is used only while it cannot have changed, and until the
    next scheduled article goes public. A published article stays visible as
    time passes, so only found articles are remembered.
    """
    data_version = await article_store.data_version(svc.db)
    now = now_text()
    known = svc.cache.facts.get("page." + slug)
    if known is not None and known[0] == data_version:
        remembered: article_store.PageVersions = known[1]  # type: ignore[assignment]
        if remembered.next_publication is None or now < remembered.next_publication:
            return remembered
    versions = await article_store.public_page_versions(svc.db, slug, now)
    if versions is None:
        raise NotFound("no such article")
    svc.cache.remember_fact("page." + slug, (data_version, versions))
    return versions


def page_key(
    versions: article_store.PageVersions, parts: frozenset[str], sort: str, limit: int
) -> str:
    """The cache key of an article page; the fast path (hot_reads) computes it the same way."""
    key = f"article.{versions.id}.{versions.version}.{versions.author_version}"
    if "related" in parts:
        # A scheduled article going public may join the list: no edit marks that.
        key += f".r{versions.content_version}.{versions.next_publication}"
    if "comments" in parts:
        key += f".c.{sort}.{limit}"
    return key


def comments_key(
    versions: article_store.PageVersions, sort: str, limit: int, cursor: str | None
) -> str:
    """The cache key of a comments list page (the article's version moves with its thread)."""
    return f"comments.{versions.id}.{versions.version}.{sort}.{limit}.{cursor}"


async def related_list(svc: Services, article_id: int, limit: int) -> RelatedList:
    rows = await related_store.list_related(svc.db, article_id, limit, now_text())
    return RelatedList(items=[related_article(row, score) for row, score in rows])


class ArticleController(Controller):
    path = "/v1/articles"
    tags = ["content"]

    @get("/", summary="Published articles, newest first")
    async def list_articles(
        self,
        request: Request[Any, Any, Any],
        tag: Annotated[
            str | None, QueryParameter(description="Only articles with this tag.")
        ] = None,
        limit: Limit = 20,
        cursor: Annotated[str | None, QueryParameter()] = None,
    ) -> Response[ArticleList]:
        svc = services(request)
        after = None
        if cursor is not None:
            position = read_cursor(svc.keys, "articles", cursor)
            if len(position) != 2 or not isinstance(position[1], int):
                raise InvalidInput([FieldError("cursor", "is not a valid cursor for this list")])
            after = (str(position[0]), position[1])
        now = now_text()
        tag_key = tag if tag is None or is_slug(tag) else None
        version, next_at = await article_store.public_list_version(svc.db, now)
        # Every tag that is not a slug lists nothing, so they share one key ("?", which
        # no slug is): a client's junk does not fill the memos with long keys.
        tag_part = "" if tag is None else (tag_key or "?")
        key = f"articles.{version}.{next_at}.{tag_part}.{limit}.{cursor}"

        async def build() -> bytes:
            if tag is not None and tag_key is None:
                return encode(ArticleList(items=[], next_cursor=None))
            rows = await article_store.list_public_articles(
                svc.db, now=now, tag=tag_key, limit=limit + 1, after=after
            )
            next_cursor = None
            if len(rows) > limit:
                rows = rows[:limit]
                next_cursor = make_cursor(
                    svc.keys, "articles", [rows[-1].published_at, rows[-1].id]
                )
            return encode(
                ArticleList(items=[article_summary(r) for r in rows], next_cursor=next_cursor)
            )

        return await cached_json(request, key, build)  # type: ignore[return-value]

    @get("/{slug:str}", summary="One published article; ?include=related,comments for the page")
    async def get_article(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        # A list: ?include=related&include=comments means both, not the last.
        include: Annotated[list[str] | None, QueryParameter(description="related,comments")] = None,
        limit: Annotated[
            int,
            QueryParameter(
                ge=1, le=100, description="Embedded comments: top-level comments (1-100)."
            ),
        ] = 20,
        sort: Annotated[
            str, QueryParameter(description="Embedded comments: oldest or newest.")
        ] = "oldest",
    ) -> Response[PublicArticle]:
        svc = services(request)
        parts = parse_include(include)
        if sort not in ("oldest", "newest"):
            raise InvalidInput([FieldError("sort", "must be oldest or newest")])
        versions = await page_versions(svc, checked_slug(slug))
        key = page_key(versions, parts, sort, limit)

        async def build() -> bytes:
            # Read in full only when the page is rebuilt; a change between the two
            # reads changes the version, so the next request rebuilds again.
            article = await get_public_article(svc.db, slug)
            author = await author_store.get_author(svc.db, article.author_slug)
            assert author is not None
            page = public_article(article, author)
            if "related" in parts:
                page.related = await related_list(svc, article.id, 3)
            if "comments" in parts:
                page.comments = comment_list(
                    await thread.list_thread(
                        svc.db, svc.keys, article, sort=sort, limit=limit, cursor=None
                    )
                )
            return encode(page)

        return await cached_json(request, key, build)  # type: ignore[return-value]

    @get("/{slug:str}/related", summary="You may also like these")
    async def get_related(
        self, request: Request[Any, Any, Any], slug: FromPath[str], limit: RelatedLimit = 3
    ) -> Response[RelatedList]:
        svc = services(request)
        article = await get_public_article(svc.db, checked_slug(slug))
        version, next_at = await article_store.public_list_version(svc.db, now_text())
        key = f"related.{article.id}.{version}.{next_at}.{limit}"

        async def build() -> bytes:
            return encode(await related_list(svc, article.id, limit))

        return await cached_json(request, key, build)  # type: ignore[return-value]
