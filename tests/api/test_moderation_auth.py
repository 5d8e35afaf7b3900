"""Who may moderate: 401 without valid credentials, 403 without the role, and no
route under /v1/moderation or /v1/admin that answers without credentials."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.routes import HTTPRoute

from tests.api.moderation_helpers import Env, bearer, env_for_fixture

PARAM = re.compile(r"\{(\w+):\w+\}")
SAMPLE = {"comment_id": "AAAAAAAAAAAAAAAA", "slug": "knee-pain"}


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async with env_for_fixture(tmp_path) as running:
        yield running


ROUTES = [
    ("GET", "/v1/moderation/comments"),
    ("GET", "/v1/moderation/comments/{id}"),
    ("POST", "/v1/moderation/comments/{id}/approve"),
    ("POST", "/v1/moderation/comments/{id}/reject"),
    ("POST", "/v1/moderation/comments/{id}/spam"),
    ("DELETE", "/v1/moderation/comments/{id}"),
    ("POST", "/v1/moderation/actions"),
    ("GET", "/v1/moderation/audit"),
    ("POST", "/v1/moderation/housekeeping/purge-spam"),
    ("POST", "/v1/moderation/privacy/export"),
    ("POST", "/v1/moderation/privacy/erase"),
]


def _credentials(env: Env, kind: str) -> dict[str, str]:
    return {
        "none": {},
        "bad": bearer("byl_not-a-real-token"),
        "garbage": {"Authorization": "Basic dXNlcjpwYXNz"},
        "empty": {"Authorization": "Bearer "},
        "revoked": env.auth("revoked"),
    }[kind]


@pytest.mark.parametrize("kind", ["none", "bad", "garbage", "empty", "revoked"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_without_valid_credentials_is_401(
    env: Env, kind: str, method: str, path: str
) -> None:
    cid = await env.post_comment()
    response = await env.client.request(
        method, path.format(id=cid), headers=_credentials(env, kind), json={"email": "a@b.org"}
    )
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert env.sql("SELECT status FROM comments WHERE public_id = ?", (cid,)) == [("pending",)]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_an_editor_token_is_403(env: Env, method: str, path: str) -> None:
    cid = await env.post_comment()
    response = await env.client.request(
        method, path.format(id=cid), headers=env.auth("editor"), json={"email": "a@b.org"}
    )
    assert response.status_code == 403
    assert response.headers["cache-control"] == "no-store"
    assert env.sql("SELECT status FROM comments WHERE public_id = ?", (cid,)) == [("pending",)]


@pytest.mark.parametrize("path", ["/v1/moderation/privacy/export", "/v1/moderation/privacy/erase"])
async def test_privacy_requests_need_admin(env: Env, path: str) -> None:
    cid = await env.post_comment(email="held@example.org")
    body = {"email": "held@example.org"}
    assert (await env.client.post(path, json=body, headers=env.auth("mod"))).status_code == 403
    assert env.sql("SELECT count(*) FROM comments WHERE public_id = ?", (cid,)) == [(1,)]
    assert (await env.client.post(path, json=body, headers=env.auth("admin"))).status_code == 200


async def test_admin_can_moderate(env: Env) -> None:
    cid = await env.post_comment()
    response = await env.client.post(
        f"/v1/moderation/comments/{cid}/approve", headers=env.auth("admin")
    )
    assert response.status_code == 200
    audit = await env.client.get("/v1/moderation/audit", headers=env.auth("admin"))
    assert audit.json()["items"][0]["actor"] == "admin"


async def test_failed_authentication_is_logged_without_the_token(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    token = "byl_secret-looking-but-wrong"
    with caplog.at_level(logging.INFO, logger="byline.auth"):
        response = await env.client.get("/v1/moderation/comments", headers=bearer(token))
    assert response.status_code == 401
    assert "authentication failed" in caplog.text
    assert token not in caplog.text


async def test_no_protected_route_answers_without_credentials(env: Env) -> None:
    """Walks every registered route, so a new one cannot forget its guard."""
    checked = 0
    for route in env.app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        if not route.path.startswith(("/v1/moderation", "/v1/admin")):
            continue
        path = PARAM.sub(lambda m: SAMPLE.get(m.group(1), "x"), route.path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            response = await env.client.request(method, path, json={})
            assert response.status_code == 401, (method, route.path, response.status_code)
            checked += 1
    # 11 moderation handlers and 6 admin handlers at the time of writing; more is fine.
    assert checked >= 17
