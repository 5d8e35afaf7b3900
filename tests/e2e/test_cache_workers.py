"""The in-process response cache stays correct across worker processes.

`byline serve --workers 2` runs two processes, each with its own cache. Both
cache the comments list (and the article page); then a moderator approves a
comment through the API, which one worker handles. Every later GET, whichever
worker answers it, must show the new comment under a new ETag at once.
The worker is told apart by the x-request-id prefix (pid-derived, before '-').
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

SLUG = "cache-check"
LIST = f"/v1/articles/{SLUG}/comments"
PAGE = f"/v1/articles/{SLUG}?include=comments"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def byline_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    env.update(
        BYLINE_DATABASE=str(database),
        BYLINE_POST_MIN_INTERVAL_SECONDS="0",
        BYLINE_POST_RATE_LIMIT="0",
        BYLINE_DUPLICATE_WINDOW_SECONDS="0",
    )
    return env


def admin_token(database: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service", "tokens", "create", "--name", "t", "--role", "admin"],
        env=byline_env(database),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1].strip()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    database = tmp_path / "byline.db"
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--workers", "2", "--port", str(port)],
            env=byline_env(database),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited:\n{log.read_text()}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready:\n{log.read_text()}")
            time.sleep(0.1)
        yield url, database
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


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
