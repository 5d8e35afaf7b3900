"""Articles: Markdown in, sanitized HTML out, rendered once on write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from service import fields
from service.clock import format_time, now_text, parse_time
from service.content.rendering import derive_excerpt, render_article
from service.errors import FieldError, InvalidInput, NotFound
from service.storage import articles as store
from service.storage import authors as author_store
from service.storage.database import Database, Queryable, Transaction
from service.storage.installation import bump_content_version
from service.validation import Spec, boolean, optional_string, string, string_list, then

MAX_TAGS = 20


def _clean_tags(value: Any) -> list[str]:
    tags: list[str] = []
    for item in string_list(value, max_items=MAX_TAGS):
        tag = fields.clean_slug(item.strip().lower())
        if tag not in tags:
            tags.append(tag)
    return tags


def _clean_status(value: Any) -> str:
    if value not in ("draft", "published"):
        raise ValueError("must be draft or published")
    return str(value)


def _clean_published_at(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return format_time(parse_time(string(value)))
    except ValueError:
        raise ValueError("must be an RFC 3339 time such as 2026-11-26T15:04:05Z") from None


ARTICLE_SPEC = Spec(
    rules={
        "title": then(string, lambda v: fields.clean_line(v, max_length=200)),
        "body_markdown": then(string, lambda v: fields.clean_text(v, max_length=200_000)),
        "author": then(string, fields.clean_slug),
        "tags": _clean_tags,
        "status": _clean_status,
        "published_at": _clean_published_at,
        "comments_open": boolean,
        "excerpt": then(
            optional_string,
            lambda v: None if v is None or not v.strip() else fields.clean_line(v, max_length=500),
        ),
    },
    required=frozenset({"title", "body_markdown", "author"}),
    defaults={
        "tags": [],
        "status": "published",
        "published_at": None,
        "comments_open": True,
        "excerpt": None,
    },
)

# Called with the article id after every change, inside the same transaction, so
# related-article lists follow publishing (wired by the related-articles module).
ArticleHook = Callable[[Transaction, int], Awaitable[None]]


async def save_article_in(
    tx: Transaction, slug: str, data: dict[str, Any], *, on_change: ArticleHook | None = None
) -> tuple[int, bool]:
    author = await author_store.get_author(tx, data["author"])
    if author is None:
        raise InvalidInput([FieldError("author", "names no known author")])
    body_html = render_article(data["body_markdown"])
    published_at = data["published_at"]
    if data["status"] == "published" and published_at is None:
        existing = await store.get_article(tx, slug)
        published_at = existing.published_at if existing and existing.published_at else now_text()
    article_id, created = await store.upsert_article(
        tx,
        slug=slug,
        title=data["title"],
        body_markdown=data["body_markdown"],
        body_html=body_html,
        excerpt=data["excerpt"] or derive_excerpt(body_html),
        custom_excerpt=data["excerpt"],
        author_id=author.id,
        status=data["status"],
        published_at=published_at,
        comments_open=data["comments_open"],
        tags=data["tags"],
        now=now_text(),
    )
    await bump_content_version(tx)
    if on_change is not None:
        await on_change(tx, article_id)
    return article_id, created


async def save_article(
    db: Database, slug: str, data: dict[str, Any], *, on_change: ArticleHook | None = None
) -> tuple[store.ArticleRow, bool]:
    async def save(tx: Transaction) -> tuple[store.ArticleRow | None, bool]:
        _, created = await save_article_in(tx, slug, data, on_change=on_change)
        return await store.get_article(tx, slug), created

    article, created = await db.write(save)
    assert article is not None
    return article, created


async def get_article(q: Queryable, slug: str) -> store.ArticleRow:
    """Any status, for editors."""
    article = await store.get_article(q, slug)
    if article is None:
        raise NotFound("no such article")
    return article


async def get_public_article(q: Queryable, slug: str) -> store.ArticleRow:
    """Published and due; drafts and scheduled articles are 404 like unknown ones."""
    article = await store.get_public_article(q, slug, now_text())
    if article is None:
        raise NotFound("no such article")
    return article


async def delete_article(db: Database, slug: str, *, on_delete: ArticleHook | None = None) -> None:
    async def delete(tx: Transaction) -> None:
        article = await get_article(tx, slug)
        if on_delete is not None:
            await on_delete(tx, article.id)
        await store.delete_article(tx, article.id)
        await bump_content_version(tx)

    await db.write(delete)
