"""Migrations that carry data over, tested on a database of the schema before them."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from service.storage import migrations

NOW = "2026-11-27T00:00:00Z"


async def test_article_ids_already_given_are_never_given_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = await aiosqlite.connect(tmp_path / "old.db", isolation_level=None)
    try:
        everything = migrations.load_migrations()
        monkeypatch.setattr(migrations, "load_migrations", lambda: everything[:7])
        await migrations.migrate(conn)
        await conn.execute(
            "INSERT INTO authors (id, slug, name, created_at, updated_at) "
            "VALUES (1, 'a', 'A', :now, :now)",
            {"now": NOW},
        )
        for article_id in (1, 2, 5):
            await conn.execute(
                "INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt, "
                "author_id, status, created_at, updated_at) "
                "VALUES (:id, 'a-' || :id, 'T', '', '', '', 1, 'draft', :now, :now)",
                {"id": article_id, "now": NOW},
            )
        monkeypatch.setattr(migrations, "load_migrations", lambda: everything)
        await migrations.migrate(conn)
        # The newest article goes; its id stays taken.
        await conn.execute("DELETE FROM articles WHERE id = 5")
        rows = await conn.execute_fetchall(
            "SELECT value FROM counters WHERE name = 'last_article_id'"
        )
        assert list(rows) == [(5,)]
        # An insert that names its id (bench data, tests) moves the mark too.
        await conn.execute(
            "INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt, "
            "author_id, status, created_at, updated_at) "
            "VALUES (9, 'a-9', 'T', '', '', '', 1, 'draft', :now, :now)",
            {"now": NOW},
        )
        await conn.execute("DELETE FROM articles WHERE id = 9")
        rows = await conn.execute_fetchall(
            "SELECT value FROM counters WHERE name = 'last_article_id'"
        )
        assert list(rows) == [(9,)]
    finally:
        await conn.close()


async def test_publication_years_before_1000_get_their_four_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = await aiosqlite.connect(tmp_path / "old.db", isolation_level=None)
    try:
        everything = migrations.load_migrations()
        monkeypatch.setattr(migrations, "load_migrations", lambda: everything[:8])
        await migrations.migrate(conn)
        await conn.execute(
            "INSERT INTO authors (id, slug, name, created_at, updated_at) "
            "VALUES (1, 'a', 'A', :now, :now)",
            {"now": NOW},
        )
        # As the strftime("%Y") of earlier versions wrote them.
        written = ["1-01-01T00:00:00Z", "42-06-01T00:00:00Z", "999-12-31T23:59:59Z",
                   "2026-11-27T00:00:00Z", None]  # fmt: skip
        for number, published_at in enumerate(written, start=1):
            await conn.execute(
                "INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt, "
                "author_id, status, published_at, created_at, updated_at) "
                "VALUES (:id, 'a-' || :id, 'T', '', '', '', 1, 'published', :at, :now, :now)",
                {"id": number, "at": published_at, "now": NOW},
            )
        monkeypatch.setattr(migrations, "load_migrations", lambda: everything)
        await migrations.migrate(conn)
        rows = await conn.execute_fetchall("SELECT published_at FROM articles ORDER BY id")
        assert [row[0] for row in rows] == [
            "0001-01-01T00:00:00Z", "0042-06-01T00:00:00Z", "0999-12-31T23:59:59Z",
            "2026-11-27T00:00:00Z", None,
        ]  # fmt: skip
    finally:
        await conn.close()
