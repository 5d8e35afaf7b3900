"""Fifty moderators approve one comment at once, against a real server.

One conditional update wins; the rest are no-ops. Exactly one audit entry and an
exact comment_count prove it, across two worker processes sharing the file.
"""

from __future__ import annotations

import asyncio
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

from tests.api.moderation_helpers import SLUG, bearer, make_tokens, publish_article

pytestmark = pytest.mark.e2e
CONCURRENT = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    database = tmp_path / "e2e.db"
    port = free_port()
    env = os.environ | {
        "BYLINE_POST_MIN_INTERVAL_SECONDS": "0",
        "BYLINE_POST_RATE_LIMIT": "0",
        "BYLINE_DUPLICATE_WINDOW_SECONDS": "0",
    }
    command = [sys.executable, "-m", "service", "serve", "--database", str(database)]
    command += ["--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, database
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"server exited early: {stderr}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become ready")


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
