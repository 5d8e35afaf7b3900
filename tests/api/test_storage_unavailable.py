"""When SQLite cannot take a write (locked by another process, disk full): 503, not 500.

The answer must be an RFC 9457 document with `Retry-After`, it must come quickly,
nothing of the refused request may be stored, the file must stay intact, and the
service must recover by itself once the cause is gone.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Awaitable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from service import app as app_module
from service.app import create_app
from service.comments.fields import BODY_MAX
from service.storage import database
from tests.api.comment_fixtures import QUIET, open_site
from tests.helpers import assert_problem, in_process


def post(client: httpx.AsyncClient, body: str) -> Awaitable[httpx.Response]:
    comment = {"name": "Reader", "email": "reader@example.org", "body": body}
    return client.post("/v1/articles/post/comments", json=comment)


def assert_unavailable(response: httpx.Response) -> None:
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1


async def test_a_locked_database_is_a_quick_503_and_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    async with open_site(tmp_path) as site:
        assert (await site.post(body="Before the lock.")).status_code == 202
        before = site.query("SELECT public_id, status, body FROM comments ORDER BY id")
        audit_before = site.count("audit_log")
        # Another process (here: connection) holds the write lock past the busy timeout.
        with closing(sqlite3.connect(site.db_path, isolation_level=None, timeout=0)) as other:
            other.execute("BEGIN EXCLUSIVE")
            try:
                started = time.monotonic()
                response = await site.post(body="While locked.")
                took = time.monotonic() - started
                assert_unavailable(response)
                assert took < 2.0, took
                # Reads do not wait for the writer in WAL mode.
                assert (await site.client.get("/v1/articles/post")).status_code == 200
            finally:
                other.execute("ROLLBACK")
        assert site.query("SELECT public_id, status, body FROM comments ORDER BY id") == before
        assert site.count("audit_log") == audit_before
        # The lock is gone: the same writer connection serves again.
        assert (await site.post(body="After the lock.")).status_code == 202
        assert site.count() == len(before) + 1


async def test_a_full_disk_is_a_503_and_the_file_stays_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "t.db"
    async with open_site(tmp_path) as site:
        assert (await site.post(body="Seed.")).status_code == 202
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    # SQLite answers SQLITE_FULL ("database or disk is full") once the file would
    # grow past max_page_count: a real full disk, as far as the writer can tell.
    full = functools.partial(database.Database, writer_pragmas=[f"max_page_count = {pages}"])
    monkeypatch.setattr(app_module, "Database", full)
    outcomes: list[int] = []
    accepted: list[str] = []
    settings = replace(QUIET, database=str(db_path))
    async with in_process(create_app(settings)) as client:
        for i in range(30):
            response = await post(client, f"{i} " + "x" * (BODY_MAX - 10))
            outcomes.append(response.status_code)
            if response.status_code == 202:
                accepted.append(response.json()["comment"]["id"])
                continue
            assert_unavailable(response)
            break
        assert 503 in outcomes, outcomes
        # Still full: still a 503, not a 500 from a connection left mid-transaction.
        assert_unavailable(await post(client, "again " + "y" * (BODY_MAX - 10)))
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/v1/articles/post")).status_code == 200
    assert set(outcomes) <= {202, 503}, outcomes
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT public_id FROM comments")}
        audit = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'submit'").fetchone()
    assert set(accepted) <= stored
    assert len(stored) == len(accepted) + 1  # the seed, the accepted ones, nothing else
    assert audit[0] == len(stored)
    # With room again, the same file takes comments.
    monkeypatch.setattr(app_module, "Database", database.Database)
    async with in_process(create_app(settings)) as client:
        assert (await post(client, "Room again.")).status_code == 202
