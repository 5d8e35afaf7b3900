"""Editor endpoints: authors and articles, PUT/GET/DELETE by slug."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, put
from litestar.params import FromPath

from service.auth import Role
from service.content import articles, authors
from service.content.related import article_changed, article_deleted
from service.errors import FieldError, InvalidInput, NotFound
from service.fields import clean_slug, is_slug
from service.http.admin_types import AdminArticle, AdminAuthor, ArticlePut, AuthorPut
from service.http.body import read_body
from service.http.guards import require_role
from service.http.openapi_body import body_operation
from service.services import services
from service.storage.articles import ArticleRow
from service.storage.authors import AuthorRow
from service.validation import Spec

NO_STORE = {"Cache-Control": "no-store"}


def admin_author(row: AuthorRow) -> AdminAuthor:
    return AdminAuthor(
        slug=row.slug,
        name=row.name,
        bio=row.bio,
        bio_html=row.bio_html,
        avatar_url=row.avatar_url,
        website=row.website,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def admin_article(row: ArticleRow) -> AdminArticle:
    return AdminArticle(
        slug=row.slug,
        title=row.title,
        body_markdown=row.body_markdown,
        body_html=row.body_html,
        excerpt=row.excerpt,
        custom_excerpt=row.custom_excerpt,
        author=row.author_slug,
        tags=row.tags,
        status=row.status,
        published_at=row.published_at,
        comments_open=row.comments_open,
        comment_count=row.comment_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def checked(slug: str) -> str:
    """A slug to look up: one that cannot exist is simply not found."""
    if not is_slug(slug):
        raise NotFound("no such resource")
    return slug


async def read_put(
    request: Request[Any, Any, Any], slug: str, spec: Spec
) -> tuple[str, dict[str, Any]]:
    """A slug to create is input: a bad one is reported with every bad body field."""
    slug_errors: list[FieldError] = []
    try:
        if clean_slug(slug) != slug:
            raise ValueError("must not have surrounding spaces")
    except ValueError as exc:
        slug_errors.append(FieldError("slug", str(exc)))
    try:
        data = await read_body(request, spec)
    except InvalidInput as exc:
        if exc.errors:  # an unreadable body says so on its own
            exc.errors[:0] = slug_errors
        raise
    if slug_errors:
        raise InvalidInput(slug_errors)
    return slug, data


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    guards = [require_role(Role.EDITOR)]
    security = [{"bearer": []}]

    # The body limit is the app's, BYLINE_ADMIN_MAX_BODY_BYTES.
    @put("/authors/{slug:str}", operation_class=body_operation(AuthorPut))
    async def put_author(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[AdminAuthor]:
        svc = services(request)
        slug, data = await read_put(request, slug, authors.AUTHOR_SPEC)
        row, created = await authors.save_author(svc.db, slug, data)
        return Response(admin_author(row), status_code=201 if created else 200, headers=NO_STORE)

    @get("/authors/{slug:str}")
    async def get_author(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[AdminAuthor]:
        row = await authors.get_author(services(request).db, checked(slug))
        return Response(admin_author(row), headers=NO_STORE)

    @delete("/authors/{slug:str}", status_code=204)
    async def delete_author(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> None:
        await authors.delete_author(services(request).db, checked(slug))

    @put("/articles/{slug:str}", operation_class=body_operation(ArticlePut))
    async def put_article(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[AdminArticle]:
        svc = services(request)
        slug, data = await read_put(request, slug, articles.ARTICLE_SPEC)
        row, created = await articles.save_article(svc.db, slug, data, on_change=article_changed)
        return Response(admin_article(row), status_code=201 if created else 200, headers=NO_STORE)

    @get("/articles/{slug:str}")
    async def get_article(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[AdminArticle]:
        row = await articles.get_article(services(request).db, checked(slug))
        return Response(admin_article(row), headers=NO_STORE)

    @delete("/articles/{slug:str}", status_code=204)
    async def delete_article(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> None:
        await articles.delete_article(
            services(request).db, checked(slug), on_delete=article_deleted
        )
