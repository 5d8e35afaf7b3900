"""Fifty moderators approve one comment at once, against a real server.

One conditional update wins; the rest are no-ops. Exactly one audit entry and an
exact comment_count prove it, across two worker processes sharing the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.moderation_helpers import SLUG, bearer, make_tokens, publish_article
from tests.e2e.servers import NO_POSTING_LIMITS, Server, byline_env

pytestmark = pytest.mark.e2e
CONCURRENT = 50


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    database = tmp_path / "e2e.db"
    running = Server(database, args=["--workers", "2"], env=byline_env(**NO_POSTING_LIMITS))
    try:
        yield running.url, database
    finally:
        running.stop()


async def test_fifty_concurrent_approvals_make_one_change(server: tuple[str, Path]) -> None:
    base, database = server
    tokens = await make_tokens(database)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await publish_article(client, tokens["editor"])
        posted = await client.post(
            f"/v1/articles/{SLUG}/comments",
            json={"name": "Reader", "email": "reader@example.org", "body": "Hello"},
        )
        assert posted.status_code == 202
        cid = posted.json()["comment"]["id"]
        url = f"/v1/moderation/comments/{cid}/approve"
        answers = await asyncio.gather(
            *(client.post(url, headers=bearer(tokens["mod"])) for _ in range(CONCURRENT))
        )
        assert [a.status_code for a in answers] == [200] * CONCURRENT
        assert {a.json()["status"] for a in answers} == {"approved"}
        audit = await client.get(
            "/v1/moderation/audit", params={"comment_id": cid}, headers=bearer(tokens["mod"])
        )
        approvals = [e for e in audit.json()["items"] if e["action"] == "approve"]
        assert len(approvals) == 1
        article = await client.get(f"/v1/articles/{SLUG}")
        assert article.json()["comment_count"] == 1
        assert (await client.get(f"/v1/articles/{SLUG}/comments")).json()["total"] == 1
