"""The in-process response cache stays correct across worker processes.

`byline serve --workers 2` runs two processes, each with its own cache. Both
cache the comments list (and the article page); then a moderator approves a
comment through the API, which one worker handles. Every later GET, whichever
worker answers it, must show the new comment under a new ETag at once.
The worker is told apart by the x-request-id prefix (pid-derived, before '-').
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import NO_POSTING_LIMITS, Server, byline, byline_env

pytestmark = pytest.mark.e2e

SLUG = "cache-check"
LIST = f"/v1/articles/{SLUG}/comments"
PAGE = f"/v1/articles/{SLUG}?include=comments"


def admin_token(database: Path) -> str:
    env = byline_env(BYLINE_DATABASE=str(database))
    return byline("tokens", "create", "--name", "t", "--role", "admin", env=env)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    database = tmp_path / "byline.db"
    running = Server(
        database, args=["--workers", "2"], env=byline_env(**NO_POSTING_LIMITS), cwd=tmp_path
    )
    try:
        yield running.url, database
    finally:
        running.stop()


def worker(answer: httpx.Response) -> str:
    return answer.headers["x-request-id"].split("-", 1)[0]


def new_client(url: str) -> httpx.Client:
    # A fresh connection per request would be slow; several clients let the
    # server's accept spread them over both workers.
    return httpx.Client(base_url=url, timeout=10)


def test_a_moderation_change_is_seen_by_every_worker_at_once(
    server: tuple[str, Path],
) -> None:
    url, database = server
    auth = {"Authorization": f"Bearer {admin_token(database)}"}
    with httpx.Client(base_url=url, timeout=10) as admin:
        assert admin.put("/v1/admin/authors/ada", json={"name": "Ada"}, headers=auth).is_success
        created = admin.put(
            f"/v1/admin/articles/{SLUG}",
            json={"title": "Cache", "body_markdown": "Text.", "author": "ada"},
            headers=auth,
        )
        assert created.is_success, created.text
        ids = []
        for body in ("first comment", "second comment"):
            posted = admin.post(
                f"/v1/articles/{SLUG}/comments",
                json={"name": "Reader", "email": "r@example.org", "body": body},
            )
            assert posted.status_code == 202, posted.text
            ids.append(posted.json()["comment"]["id"])
        approved = admin.post(f"/v1/moderation/comments/{ids[0]}/approve", json={}, headers=auth)
        assert approved.status_code == 200, approved.text

    # Warm both workers' caches: keep asking, over new connections, until two
    # distinct workers have each answered both URLs twice (the second a cache hit).
    before: dict[str, str] = {}
    answered: dict[tuple[str, str], int] = {}
    deadline = time.monotonic() + 30
    while len({w for (w, _), n in answered.items() if n >= 2}) < 2 or len(answered) < 4:
        assert time.monotonic() < deadline, f"one worker answered everything: {answered}"
        for path in (LIST, PAGE):
            with new_client(url) as client:
                answer = client.get(path)
            assert answer.status_code == 200
            key = (worker(answer), path)
            answered[key] = answered.get(key, 0) + 1
            items = answer.json()["items" if path == LIST else "comments"]
            if path == PAGE:
                items = items["items"]
            assert [c["id"] for c in items] == ids[:1]
            assert before.setdefault(path, answer.headers["etag"]) == answer.headers["etag"]
    workers = {w for w, _ in answered}
    assert len(workers) == 2, answered

    with httpx.Client(base_url=url, timeout=10) as admin:
        approved = admin.post(f"/v1/moderation/comments/{ids[1]}/approve", json={}, headers=auth)
        assert approved.status_code == 200, approved.text

    # Immediately after: every answer, from either worker, has both comments.
    seen_after: set[str] = set()
    for _ in range(40):
        for path in (LIST, PAGE):
            with new_client(url) as client:
                answer = client.get(path)
                again = client.get(path, headers={"If-None-Match": before[path]})
            assert answer.status_code == 200
            seen_after.add(worker(answer))
            body = answer.json()
            items = body["items"] if path == LIST else body["comments"]["items"]
            assert [c["id"] for c in items] == ids, (worker(answer), path)
            assert answer.headers["etag"] != before[path]
            # The old ETag no longer revalidates.
            assert again.status_code == 200, (worker(again), path)
    assert seen_after == workers, seen_after
