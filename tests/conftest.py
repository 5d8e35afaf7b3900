"""Shared fixtures: a fresh SQLite file per test, the app in-process, tokens, factories.

The client talks to the app through `httpx.ASGITransport` inside `app.lifespan()`,
so the app, its database connections and the test share one event loop (STACK.md
§1.12). Test data is arranged through the admin API, as a client would; tokens are
made with `service.auth` on the same file, as `byline tokens create` would.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from service.app import create_app
from service.auth import Role, create_token
from service.config import Settings
from service.storage.database import Database
from tests.helpers import MakeArticle, MakeAuthor, MakeToken, bearer, in_process

_names = itertools.count(1)


@pytest.fixture
def database_path(tmp_path: Path) -> str:
    return str(tmp_path / "byline.db")


@pytest.fixture
def settings(database_path: str) -> Settings:
    """Defaults, except a private database and comment limits that never get in the way."""
    return Settings(
        database=database_path,
        post_min_interval_seconds=0,
        post_rate_limit=0,
        duplicate_window_seconds=0,
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app) as c:
        yield c


@pytest.fixture
def make_token(settings: Settings) -> MakeToken:
    """`await make_token("moderator")` -> a fresh bearer token with that role."""

    async def make(role: str = "editor", name: str | None = None) -> str:
        db = Database(settings.database)
        await db.open()
        try:
            return await create_token(db, name or f"{role}-{next(_names)}", Role(role))
        finally:
            await db.close()

    return make


@pytest.fixture
async def editor(make_token: MakeToken) -> dict[str, str]:
    """Authorization headers of an editor."""
    return bearer(await make_token("editor"))


@pytest.fixture
def make_author(client: httpx.AsyncClient, editor: dict[str, str]) -> MakeAuthor:
    async def make(slug: str = "ada", **fields: Any) -> dict[str, Any]:
        body = {"name": slug.replace("-", " ").title(), "bio": "Writes about *pain*."} | fields
        response = await client.put(f"/v1/admin/authors/{slug}", json=body, headers=editor)
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()
        return data

    return make


@pytest.fixture
def make_article(
    client: httpx.AsyncClient, editor: dict[str, str], make_author: MakeAuthor
) -> MakeArticle:
    """A published article by author `ada` (created on first use) unless told otherwise."""
    authors: set[str] = set()

    async def make(slug: str | None = None, **fields: Any) -> dict[str, Any]:
        slug = slug or f"article-{next(_names)}"
        author = fields.setdefault("author", "ada")
        if author not in authors:
            check = await client.get(f"/v1/admin/authors/{author}", headers=editor)
            if check.status_code == 404:
                await make_author(author)
            authors.add(author)
        body = {"title": slug.replace("-", " ").title(), "body_markdown": "Some *text*."} | fields
        response = await client.put(f"/v1/admin/articles/{slug}", json=body, headers=editor)
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()
        return data

    return make
