"""SQL for articles and their tags."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import msgspec

from service.storage.database import Queryable, Transaction

_decode_tags = msgspec.json.Decoder(list[str]).decode
_TAGS = (
    "(SELECT json_group_array(tag) FROM "
    "(SELECT tag FROM article_tags t WHERE t.article_id = a.id ORDER BY position)) AS tags"
)
_ARTICLE_COLUMNS = (
    "a.id, a.slug, a.title, a.body_markdown, a.body_html, a.excerpt, a.custom_excerpt, "
    "a.status, a.published_at, a.comments_open, a.comment_count, a.version, "
    "a.created_at, a.updated_at, au.slug AS author_slug, au.version AS author_version, " + _TAGS
)
SUMMARY_COLUMNS = (
    "a.id, a.slug, a.title, a.excerpt, a.published_at, a.comment_count, "
    "au.slug AS author_slug, au.name AS author_name, " + _TAGS
)
PUBLIC_FILTER = "a.status = 'published' AND a.published_at <= :now"


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: int
    slug: str
    title: str
    body_markdown: str
    body_html: str
    excerpt: str
    custom_excerpt: str | None
    status: str
    published_at: str | None
    comments_open: bool
    comment_count: int
    version: int
    created_at: str
    updated_at: str
    author_slug: str
    author_version: int
    tags: list[str]


@dataclass(frozen=True, slots=True)
class ArticleSummaryRow:
    id: int
    slug: str
    title: str
    excerpt: str
    published_at: str
    comment_count: int
    author_slug: str
    author_name: str
    tags: list[str]


def _article(row: sqlite3.Row) -> ArticleRow:
    values = dict(zip(row.keys(), row, strict=True))
    values["comments_open"] = bool(values["comments_open"])
    values["tags"] = _decode_tags(values["tags"])
    return ArticleRow(**values)


def summary_from_row(row: sqlite3.Row) -> ArticleSummaryRow:
    values = {key: row[key] for key in ArticleSummaryRow.__slots__}
    values["tags"] = _decode_tags(values["tags"])
    return ArticleSummaryRow(**values)


async def get_article(q: Queryable, slug: str) -> ArticleRow | None:
    """Any status: for editors."""
    row = await q.fetch_one(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles a JOIN authors au ON au.id = a.author_id "
        "WHERE a.slug = :slug",
        {"slug": slug},
    )
    return _article(row) if row else None


@dataclass(frozen=True, slots=True)
class CommentTarget:
    """What posting a comment needs of its article, without its text."""

    id: int
    comments_open: bool


async def get_comment_target(q: Queryable, slug: str, now: str) -> CommentTarget | None:
    row = await q.fetch_one(
        f"SELECT a.id, a.comments_open FROM articles a WHERE a.slug = :slug AND {PUBLIC_FILTER}",
        {"slug": slug, "now": now},
    )
    return CommentTarget(id=row[0], comments_open=bool(row[1])) if row else None


async def get_public_article(q: Queryable, slug: str, now: str) -> ArticleRow | None:
    row = await q.fetch_one(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles a JOIN authors au ON au.id = a.author_id "
        f"WHERE a.slug = :slug AND {PUBLIC_FILTER}",
        {"slug": slug, "now": now},
    )
    return _article(row) if row else None


@dataclass(frozen=True, slots=True)
class PageVersions:
    """Everything a public article page's cache key needs, without the article itself."""

    id: int
    version: int
    author_version: int
    content_version: int
    # When the next scheduled article goes public (it may join related lists).
    next_publication: str | None


_NEXT_PUBLICATION = (
    "SELECT min(published_at) FROM articles WHERE status = 'published' AND published_at > :now"
)


async def public_page_versions(q: Queryable, slug: str, now: str) -> PageVersions | None:
    """One small indexed read that decides whether a cached page is still current.

    The full row (body, rendered HTML, tags) is read only when the page is rebuilt.
    """
    row = await q.fetch_one(
        "SELECT a.id, a.version, au.version, "
        "(SELECT value FROM counters WHERE name = 'content_version'), "
        f"({_NEXT_PUBLICATION}) "
        "FROM articles a JOIN authors au ON au.id = a.author_id "
        f"WHERE a.slug = :slug AND {PUBLIC_FILTER}",
        {"slug": slug, "now": now},
    )
    return PageVersions(row[0], row[1], row[2], int(row[3] or 0), row[4]) if row else None


async def data_version(q: Queryable) -> int:
    """SQLite's `PRAGMA data_version`: it changes when any other connection, in this
    process or another, commits. Cheaper than any table read."""
    row = await q.fetch_one("PRAGMA data_version")
    return int(row[0]) if row else -1


async def list_public_articles(
    q: Queryable, *, now: str, tag: str | None, limit: int, after: tuple[str, int] | None
) -> list[ArticleSummaryRow]:
    """Newest first; `after` is the (published_at, id) of the previous page's last item."""
    where = [PUBLIC_FILTER]
    params: dict[str, object] = {"now": now, "limit": limit}
    if tag is not None:
        where.append("a.id IN (SELECT article_id FROM article_tags WHERE tag = :tag)")
        params["tag"] = tag
    if after is not None:
        where.append(
            "(a.published_at < :after_at OR (a.published_at = :after_at AND a.id < :after_id))"
        )
        params["after_at"], params["after_id"] = after
    rows = await q.fetch_all(
        f"SELECT {SUMMARY_COLUMNS} FROM articles a JOIN authors au ON au.id = a.author_id "
        f"WHERE {' AND '.join(where)} ORDER BY a.published_at DESC, a.id DESC LIMIT :limit",
        params,
    )
    return [summary_from_row(row) for row in rows]


async def list_summaries_by_id(
    q: Queryable, ids: list[int], now: str
) -> dict[int, ArticleSummaryRow]:
    """Public summaries of the given articles (drafts and scheduled ones left out)."""
    if not ids:
        return {}
    marks = ", ".join(f":id{i}" for i in range(len(ids)))
    params: dict[str, object] = {f"id{i}": value for i, value in enumerate(ids)}
    params["now"] = now
    rows = await q.fetch_all(
        f"SELECT {SUMMARY_COLUMNS} FROM articles a JOIN authors au ON au.id = a.author_id "
        f"WHERE a.id IN ({marks}) AND {PUBLIC_FILTER}",
        params,
    )
    return {row["id"]: summary_from_row(row) for row in rows}


async def public_list_version(q: Queryable, now: str) -> tuple[int, str | None]:
    """What keys every public article list: the content version and the next publication.

    Editing anything bumps the content version; a scheduled article appears when the
    clock passes its `published_at`, which changes the second value. Two index
    lookups, however many articles there are (counting the visible ones was a walk
    of every published article on every cached list request).
    """
    row = await q.fetch_one(
        "SELECT (SELECT value FROM counters WHERE name = 'content_version') AS version, "
        f"({_NEXT_PUBLICATION}) AS next_at",
        {"now": now},
    )
    if row is None:
        return 0, None
    return int(row["version"] or 0), row["next_at"]


async def upsert_article(
    tx: Transaction,
    *,
    slug: str,
    title: str,
    body_markdown: str,
    body_html: str,
    excerpt: str,
    custom_excerpt: str | None,
    author_id: int,
    status: str,
    published_at: str | None,
    comments_open: bool,
    tags: list[str],
    now: str,
) -> tuple[int, bool]:
    """Insert or update by slug, replacing the tags; returns (id, created)."""
    existing = await tx.fetch_one("SELECT id FROM articles WHERE slug = :slug", {"slug": slug})
    row = await tx.fetch_one(
        """
        INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt,
                              custom_excerpt, author_id, status, published_at,
                              comments_open, created_at, updated_at)
        -- Never a deleted article's id: caches and ETags go by id and version
        -- (migration 0008).
        VALUES ((SELECT value + 1 FROM counters WHERE name = 'last_article_id'),
                :slug, :title, :body_markdown, :body_html, :excerpt, :custom_excerpt,
                :author_id, :status, :published_at, :comments_open, :now, :now)
        ON CONFLICT (slug) DO UPDATE SET
            title = excluded.title, body_markdown = excluded.body_markdown,
            body_html = excluded.body_html, excerpt = excluded.excerpt,
            custom_excerpt = excluded.custom_excerpt, author_id = excluded.author_id,
            status = excluded.status, published_at = excluded.published_at,
            comments_open = excluded.comments_open, version = articles.version + 1,
            updated_at = excluded.updated_at
        RETURNING id
        """,
        {
            "slug": slug,
            "title": title,
            "body_markdown": body_markdown,
            "body_html": body_html,
            "excerpt": excerpt,
            "custom_excerpt": custom_excerpt,
            "author_id": author_id,
            "status": status,
            "published_at": published_at,
            "comments_open": int(comments_open),
            "now": now,
        },
    )
    assert row is not None
    article_id = int(row["id"])
    await tx.execute("DELETE FROM article_tags WHERE article_id = :id", {"id": article_id})
    await tx.execute_many(
        "INSERT INTO article_tags (article_id, tag, position) VALUES (?, ?, ?)",
        [(article_id, tag, position) for position, tag in enumerate(tags)],
    )
    return article_id, existing is None


async def delete_article(tx: Transaction, article_id: int) -> None:
    # Comments cascade; audit entries keep the public ids of what was there.
    await tx.execute("DELETE FROM comments WHERE article_id = :id", {"id": article_id})
    await tx.execute("DELETE FROM articles WHERE id = :id", {"id": article_id})


async def bump_article_version(tx: Transaction, article_id: int) -> None:
    await tx.execute("UPDATE articles SET version = version + 1 WHERE id = :id", {"id": article_id})
