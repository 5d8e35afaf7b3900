"""A fresh service on its own SQLite file, with tokens and one published article.

Kept next to the moderation tests (not in conftest.py) so the fixtures they rely
on are visible where they are used.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from service.app import create_app
from service.auth import Role, create_token, revoke_token
from service.config import Settings
from service.storage.database import Database

SLUG = "knee-pain"
ROLES = {"mod": Role.MODERATOR, "editor": Role.EDITOR, "admin": Role.ADMIN}


def settings_for(path: Path) -> Settings:
    return Settings(
        database=str(path),
        post_min_interval_seconds=0,
        post_rate_limit=0,
        duplicate_window_seconds=0,
    )


async def make_tokens(path: Path) -> dict[str, str]:
    """One live token per role, plus a revoked moderator token."""
    db = Database(str(path))
    await db.open()
    try:
        tokens = {name: await create_token(db, name, role) for name, role in ROLES.items()}
        tokens["revoked"] = await create_token(db, "revoked", Role.MODERATOR)
        await revoke_token(db, "revoked")
    finally:
        await db.close()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Env:
    client: httpx.AsyncClient
    tokens: dict[str, str]
    path: Path
    app: Any
    counter: list[int] = field(default_factory=lambda: [0])

    def auth(self, who: str = "mod") -> dict[str, str]:
        return bearer(self.tokens[who])

    async def post_comment(
        self, body: str | None = None, *, parent_id: str | None = None, email: str | None = None
    ) -> str:
        self.counter[0] += 1
        n = self.counter[0]
        payload: dict[str, Any] = {
            "name": f"Reader {n}",
            "email": email or f"reader{n}@example.org",
            "body": body or f"Comment number {n}",
        }
        if parent_id is not None:
            payload["parent_id"] = parent_id
        response = await self.client.post(f"/v1/articles/{SLUG}/comments", json=payload)
        assert response.status_code == 202, response.text
        return str(response.json()["comment"]["id"])

    async def act(self, comment_id: str, action: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/v1/moderation/comments/{comment_id}/{action}",
            json=body or None,
            headers=self.auth(),
        )

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path) as conn:
            return list(conn.execute(query, params).fetchall())


async def publish_article(client: httpx.AsyncClient, token: str, slug: str = SLUG) -> None:
    headers = bearer(token)
    author = {"name": "Maya Okafor", "bio": "Physio."}
    response = await client.put("/v1/admin/authors/maya", json=author, headers=headers)
    assert response.status_code in (200, 201), response.text
    article = {
        "title": "Knee pain",
        "body_markdown": "Front of the knee.",
        "author": "maya",
        "status": "published",
        "published_at": "2020-01-01T00:00:00Z",
    }
    response = await client.put(f"/v1/admin/articles/{slug}", json=article, headers=headers)
    assert response.status_code in (200, 201), response.text


@asynccontextmanager
async def running_env(tmp_path: Path) -> AsyncIterator[Env]:
    path = tmp_path / "t.db"
    tokens = await make_tokens(path)
    app = create_app(settings_for(path))
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await publish_article(client, tokens["editor"])
            yield Env(client=client, tokens=tokens, path=path, app=app)


@asynccontextmanager
async def env_for_fixture(tmp_path: Path) -> AsyncIterator[Env]:
    """`running_env` held open by a task of its own.

    pytest-asyncio may tear a fixture down in another task than the one that set
    it up, and the app's lifespan (an anyio task group) must exit where it entered.
    """
    ready: asyncio.Future[Env] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with running_env(tmp_path) as env:
                ready.set_result(env)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await ready
    finally:
        stop.set()
        await task
