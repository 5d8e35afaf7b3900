"""Shared helpers for the comment API tests: a fresh app on a fresh SQLite file.

Not a conftest: tests open a `Site` with `async with open_site(tmp_path) as site:`.
Comments are approved by writing the status straight into SQLite and then
recomputing visibility in a transaction, which is what moderation does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from service.app import create_app
from service.auth import Role, create_token
from service.config import Settings
from service.storage.database import Database, Transaction
from service.storage.visibility import refresh_visibility

# Posting limits are off unless a test turns one on: most tests post many comments.
QUIET = Settings(
    database="unused",
    post_min_interval_seconds=0,
    post_rate_limit=0,
    duplicate_window_seconds=0,
)


@dataclass
class Site:
    client: httpx.AsyncClient
    db_path: str
    admin_token: str
    db: Database  # the app's own, for tests that line writes up in one batch

    async def author(self, slug: str = "ada") -> None:
        answer = await self.client.put(
            f"/v1/admin/authors/{slug}",
            json={"name": "Ada Writer", "bio": "Writes."},
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        assert answer.status_code in (200, 201), answer.text

    async def article(
        self, slug: str = "post", *, comments_open: bool = True, status: str = "published"
    ) -> None:
        answer = await self.client.put(
            f"/v1/admin/articles/{slug}",
            json={
                "title": f"Article {slug}",
                "body_markdown": f"Some text about {slug}.",
                "author": "ada",
                "tags": ["pain"],
                "status": status,
                "comments_open": comments_open,
            },
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        assert answer.status_code in (200, 201), answer.text

    async def post(
        self, slug: str = "post", headers: dict[str, str] | None = None, **fields: Any
    ) -> httpx.Response:
        body = {"name": "Reader", "email": "reader@example.org", "body": "A comment."}
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not ...}
        return await self.client.post(f"/v1/articles/{slug}/comments", json=body, headers=headers)

    async def posted(self, slug: str = "post", **fields: Any) -> dict[str, Any]:
        """Post and return the receipt; the post must be accepted."""
        answer = await self.post(slug, **fields)
        assert answer.status_code == 202, answer.text
        receipt: dict[str, Any] = answer.json()
        return receipt

    async def approved(self, slug: str = "post", **fields: Any) -> str:
        """Post a comment, approve it, and return its id."""
        comment_id: str = (await self.posted(slug, **fields))["comment"]["id"]
        await set_status(self.db_path, comment_id, "approved")
        return comment_id

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.db_path)) as conn:
            return list(conn.execute(sql, params).fetchall())

    def count(self, table: str = "comments") -> int:
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])


async def set_status(db_path: str, public_id: str, status: str) -> None:
    """Change a comment's status as a moderator would, keeping visibility and counts exact."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(
            "UPDATE comments SET status = ?, version = version + 1 WHERE public_id = ?",
            (status, public_id),
        )
        conn.commit()
    db = Database(db_path)
    await db.open()
    try:

        async def refresh(tx: Transaction) -> None:
            row = await tx.fetch_one(
                "SELECT id, article_id FROM comments WHERE public_id = :id", {"id": public_id}
            )
            assert row is not None
            await refresh_visibility(tx, row["id"], row["article_id"])

        await db.write(refresh)
    finally:
        await db.close()


async def admin_token(db_path: str) -> str:
    db = Database(db_path)
    await db.open()
    try:
        return await create_token(db, "test-admin", Role.ADMIN)
    finally:
        await db.close()


@asynccontextmanager
async def open_site(
    tmp_path: Path, *, article: bool = True, **settings: Any
) -> AsyncIterator[Site]:
    """A running app on tmp_path/t.db with an author and (by default) article `post`."""
    db_path = str(tmp_path / "t.db")
    app = create_app(replace(QUIET, database=db_path, **settings))
    async with app.lifespan():
        token = await admin_token(db_path)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            site = Site(client=client, db_path=db_path, admin_token=token, db=app.state.services.db)
            await site.author()
            if article:
                await site.article()
            yield site
