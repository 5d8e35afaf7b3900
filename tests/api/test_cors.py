"""CORS by route: reads open to all, comment writes to listed origins, staff routes closed."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from service.app import create_app
from service.config import Settings
from tests.helpers import MakeArticle, in_process

ALLOWED = "https://blog.example"
FOREIGN = "https://evil.example"


@pytest.fixture
async def cors_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dataclasses.replace(settings, cors_origins=(ALLOWED,)))
    async with in_process(app) as c:
        yield c


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def preflight(origin: str, method: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }


async def test_preflight_for_posting_from_an_allowed_origin(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options(
        "/v1/articles/any/comments", headers=preflight(ALLOWED, "POST")
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"]
    assert "origin" in response.headers["vary"].lower()


async def test_preflight_for_editing_from_an_allowed_origin(cors_client: httpx.AsyncClient) -> None:
    for method in ("PATCH", "DELETE"):
        response = await cors_client.options("/v1/comments/abc", headers=preflight(ALLOWED, method))
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert method in response.headers["access-control-allow-methods"]
        assert "x-edit-token" in response.headers["access-control-allow-headers"]


async def test_preflight_from_a_foreign_origin_gets_no_permission(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.options(
        "/v1/articles/any/comments", headers=preflight(FOREIGN, "POST")
    )
    assert "access-control-allow-origin" not in response.headers
    assert cors_headers(response) == {}


async def test_no_configured_origins_means_no_cross_origin_writes(
    client: httpx.AsyncClient,
) -> None:
    for origin in (ALLOWED, FOREIGN, "null"):
        response = await client.options(
            "/v1/articles/any/comments", headers=preflight(origin, "POST")
        )
        assert cors_headers(response) == {}, origin


async def test_a_wildcard_setting_allows_any_writer(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, cors_origins=("*",)))
    async with in_process(app) as c:
        response = await c.options("/v1/articles/x/comments", headers=preflight(FOREIGN, "POST"))
    assert response.headers["access-control-allow-origin"] in ("*", FOREIGN)


async def test_writing_a_read_only_route_is_not_allowed_even_from_an_allowed_origin(
    cors_client: httpx.AsyncClient,
) -> None:
    # /v1/comments/counts is read-only; /v1/articles/{slug} is written by editors only.
    for path, method in (("/v1/articles/x", "PUT"), ("/v1/articles/x", "POST")):
        response = await cors_client.options(path, headers=preflight(ALLOWED, method))
        assert cors_headers(response) == {}, (path, method)


async def test_the_actual_post_from_an_allowed_origin_is_readable(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.post(
        "/v1/articles/no-such-article/comments",
        json={"name": "A", "email": "a@example.org", "body": "Hi."},
        headers={"Origin": ALLOWED},
    )
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == ALLOWED
    response = await cors_client.post(
        "/v1/articles/no-such-article/comments",
        json={"name": "A", "email": "a@example.org", "body": "Hi."},
        headers={"Origin": FOREIGN},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_public_gets_are_open_to_any_origin(
    cors_client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("open")
    for path in (
        "/v1/articles",
        "/v1/articles/open",
        "/v1/articles/open/comments",
        "/v1/comments/counts?article=open",
        "/v1/articles/missing",  # a 404 is readable too
    ):
        response = await cors_client.get(path, headers={"Origin": FOREIGN})
        assert response.headers["access-control-allow-origin"] == "*", path
        assert "etag" in response.headers["access-control-expose-headers"], path
    response = await cors_client.options("/v1/articles", headers=preflight(FOREIGN, "GET"))
    assert response.headers["access-control-allow-origin"] == "*"


async def test_reads_are_open_even_without_an_origin_header(
    cors_client: httpx.AsyncClient,
) -> None:
    # A CDN may serve this very response to a browser on another origin later.
    assert (await cors_client.get("/v1/articles")).headers["access-control-allow-origin"] == "*"
    response = await cors_client.post("/v1/articles/x/comments", json={})
    assert cors_headers(response) == {}
    assert cors_headers(await cors_client.get("/v1/moderation/comments")) == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/moderation/comments"),
        ("POST", "/v1/moderation/comments/abc/approve"),
        ("OPTIONS", "/v1/moderation/comments"),
        ("GET", "/v1/admin/articles/x"),
        ("PUT", "/v1/admin/articles/x"),
        ("OPTIONS", "/v1/admin/articles/x"),
        ("GET", "/v1/moderation/no-such-route"),
    ],
)
async def test_staff_routes_send_no_cors_headers(
    cors_client: httpx.AsyncClient, method: str, path: str
) -> None:
    for origin in (ALLOWED, FOREIGN):
        headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}
        if method == "OPTIONS":
            headers["Access-Control-Request-Method"] = "POST"
        response = await cors_client.request(method, path, headers=headers)
        assert cors_headers(response) == {}, (method, path, origin, response.status_code)
