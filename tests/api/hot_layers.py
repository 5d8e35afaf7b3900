"""Two sites for checking a hot layer: one as served, one with the layer taken out.

Both sites run on fresh files with the same data. The served site counts the
requests that get past the layer to Litestar's router, so a test knows which path
answered each request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.datastructures import State
from litestar.types import ASGIApp, Receive, Scope, Send

import service.app
from tests.api.comment_fixtures import Site, open_site

Layer = Callable[[ASGIApp, State], ASGIApp]


class RouterCalls:
    """How many requests got past the layer to Litestar's router."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.count = 0

    def wrap(self, router: ASGIApp, state: State) -> ASGIApp:
        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.count += 1
            await router(scope, receive, send)

        return self.layer(counted, state)


@asynccontextmanager
async def two_sites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer: Layer, **settings: Any
) -> AsyncIterator[tuple[Site, Site, RouterCalls]]:
    """The served site (the layer's router calls counted) and Litestar alone, each
    with articles `post` (open) and `closed` (comments closed)."""
    name = layer.__name__  # as service.app imports it
    calls = RouterCalls(layer)
    (tmp_path / "served").mkdir(parents=True)
    (tmp_path / "alone").mkdir()
    with monkeypatch.context() as patch:
        patch.setattr(service.app, name, calls.wrap)
        served_site = open_site(tmp_path / "served", **settings)
        served = await served_site.__aenter__()
        patch.setattr(service.app, name, lambda router, state: router)
        try:
            async with open_site(tmp_path / "alone", **settings) as alone:
                for site in (served, alone):
                    await site.article("closed", comments_open=False)
                calls.count = 0  # the set-up's own requests
                yield served, alone, calls
        finally:
            await served_site.__aexit__(None, None, None)


def comparable(response: httpx.Response) -> list[tuple[str, str]]:
    """Every header, in order, but the request id (one per request by design)."""
    return [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]


def app_of(site: Site) -> ASGIApp:
    app: ASGIApp = site.client._transport.app  # type: ignore[attr-defined]
    return app


def same_logged_500(
    fast: httpx.Response, reference: httpx.Response, log_lines: list[str], secret: str
) -> None:
    """Both 500s alike but for their request ids, each logged once without its message."""
    assert fast.status_code == reference.status_code == 500
    assert comparable(fast) == comparable(reference)
    mine, theirs = fast.json(), reference.json()
    assert mine["request_id"] == fast.headers["x-request-id"]
    masked = {"request_id": "", "detail": ""}
    assert {**mine, **masked} == {**theirs, **masked}
    logged = [line for line in log_lines if "unhandled error" in line]
    assert len(logged) == 2 and all("message withheld" in line for line in logged)
    assert fast.headers["x-request-id"] in logged[0]
    assert not any(secret in line for line in log_lines)
    assert secret not in fast.text
