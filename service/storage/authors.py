"""SQL for authors."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from service.storage.database import Queryable, Transaction

_COLUMNS = "id, slug, name, bio, bio_html, avatar_url, website, version, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class AuthorRow:
    id: int
    slug: str
    name: str
    bio: str
    bio_html: str
    avatar_url: str | None
    website: str | None
    version: int
    created_at: str
    updated_at: str


def _author(row: sqlite3.Row) -> AuthorRow:
    return AuthorRow(**{key: row[key] for key in row.keys()})  # noqa: SIM118


async def get_author(q: Queryable, slug: str) -> AuthorRow | None:
    row = await q.fetch_one(f"SELECT {_COLUMNS} FROM authors WHERE slug = :slug", {"slug": slug})
    return _author(row) if row else None


async def list_authors(q: Queryable) -> list[AuthorRow]:
    rows = await q.fetch_all(f"SELECT {_COLUMNS} FROM authors ORDER BY slug")
    return [_author(row) for row in rows]


async def upsert_author(
    tx: Transaction,
    *,
    slug: str,
    name: str,
    bio: str,
    bio_html: str,
    avatar_url: str | None,
    website: str | None,
    now: str,
) -> tuple[AuthorRow, bool]:
    """Insert or update by slug; returns the row and whether it was created."""
    existed = await tx.fetch_one("SELECT id FROM authors WHERE slug = :slug", {"slug": slug})
    row = await tx.fetch_one(
        f"""
        INSERT INTO authors (slug, name, bio, bio_html, avatar_url, website, created_at, updated_at)
        VALUES (:slug, :name, :bio, :bio_html, :avatar_url, :website, :now, :now)
        ON CONFLICT (slug) DO UPDATE SET
            name = excluded.name, bio = excluded.bio, bio_html = excluded.bio_html,
            avatar_url = excluded.avatar_url, website = excluded.website,
            version = authors.version + 1, updated_at = excluded.updated_at
        RETURNING {_COLUMNS}
        """,
        {
            "slug": slug,
            "name": name,
            "bio": bio,
            "bio_html": bio_html,
            "avatar_url": avatar_url,
            "website": website,
            "now": now,
        },
    )
    assert row is not None
    return _author(row), existed is None


async def count_articles_by(q: Queryable, author_id: int) -> int:
    row = await q.fetch_one(
        "SELECT count(*) AS n FROM articles WHERE author_id = :id", {"id": author_id}
    )
    return int(row["n"]) if row else 0


async def delete_author(tx: Transaction, author_id: int) -> None:
    await tx.execute("DELETE FROM authors WHERE id = :id", {"id": author_id})
