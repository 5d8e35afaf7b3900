"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx
from litestar import Litestar

BASE_URL = "http://testserver"
MakeToken = Callable[..., Awaitable[str]]


class MakeAuthor(Protocol):
    async def __call__(self, slug: str = ..., **fields: Any) -> dict[str, Any]: ...


class MakeArticle(Protocol):
    async def __call__(self, slug: str | None = ..., **fields: Any) -> dict[str, Any]: ...


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan, held open by a task of its own.

    Litestar's lifespan enters an anyio cancel scope, which must be left by the task
    that entered it; pytest-asyncio sets a fixture up and tears it down in different
    tasks, so the lifespan cannot simply wrap the fixture's `yield`.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():  # the lifespan failed to start: show why
        waiter.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


@asynccontextmanager
async def in_process(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client for `app`, running on the test's own event loop (STACK.md §1.12)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # ASGI types differ
    async with running(app), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(
    response: httpx.Response, status: int, *, errors: bool = False
) -> dict[str, Any]:
    """An RFC 9457 document with exactly the contract's keys (+ `errors` for bad input)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == (PROBLEM_KEYS | {"errors"} if errors else PROBLEM_KEYS), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["detail"], str)
    return body


def error_fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in assert_problem(response, 400, errors=True)["errors"]}
