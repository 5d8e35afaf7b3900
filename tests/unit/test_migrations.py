"""Migrations that carry data over, tested on a database of the schema before them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from service.storage import migrations

NOW = "2026-11-27T00:00:00Z"


class OldDatabase:
    """A database migrated only up to `version`, with one author, then upgraded."""

    def __init__(self, conn: aiosqlite.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
        self.conn = conn
        self._monkeypatch = monkeypatch
        self._everything = migrations.load_migrations()

    async def at(self, version: int) -> None:
        self._monkeypatch.setattr(migrations, "load_migrations", lambda: self._everything[:version])
        await migrations.migrate(self.conn)
        await self.conn.execute(
            "INSERT INTO authors (id, slug, name, created_at, updated_at) "
            "VALUES (1, 'a', 'A', :now, :now)",
            {"now": NOW},
        )

    async def article(self, article_id: int, published_at: str | None = None) -> None:
        await self.conn.execute(
            "INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt, "
            "author_id, status, published_at, created_at, updated_at) "
            "VALUES (:id, 'a-' || :id, 'T', '', '', '', 1, 'published', :at, :now, :now)",
            {"id": article_id, "at": published_at, "now": NOW},
        )

    async def upgrade(self) -> None:
        self._monkeypatch.setattr(migrations, "load_migrations", lambda: self._everything)
        await migrations.migrate(self.conn)

    async def values(self, sql: str) -> list[object]:
        return [row[0] for row in await self.conn.execute_fetchall(sql)]


@pytest.fixture
async def old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OldDatabase]:
    conn = await aiosqlite.connect(tmp_path / "old.db", isolation_level=None)
    try:
        yield OldDatabase(conn, monkeypatch)
    finally:
        await conn.close()


async def test_article_ids_already_given_are_never_given_again(old: OldDatabase) -> None:
    await old.at(7)
    for article_id in (1, 2, 5):
        await old.article(article_id)
    await old.upgrade()
    last_id = "SELECT value FROM counters WHERE name = 'last_article_id'"
    # The newest article goes; its id stays taken.
    await old.conn.execute("DELETE FROM articles WHERE id = 5")
    assert await old.values(last_id) == [5]
    # An insert that names its id (bench data, tests) moves the mark too.
    await old.article(9)
    await old.conn.execute("DELETE FROM articles WHERE id = 9")
    assert await old.values(last_id) == [9]


async def test_publication_years_before_1000_get_their_four_digits(old: OldDatabase) -> None:
    await old.at(8)
    # As the strftime("%Y") of earlier versions wrote them.
    written = ["1-01-01T00:00:00Z", "42-06-01T00:00:00Z", "999-12-31T23:59:59Z",
               "2026-11-27T00:00:00Z", None]  # fmt: skip
    for number, published_at in enumerate(written, start=1):
        await old.article(number, published_at)
    await old.upgrade()
    assert await old.values("SELECT published_at FROM articles ORDER BY id") == [
        "0001-01-01T00:00:00Z", "0042-06-01T00:00:00Z", "0999-12-31T23:59:59Z",
        "2026-11-27T00:00:00Z", None,
    ]  # fmt: skip
