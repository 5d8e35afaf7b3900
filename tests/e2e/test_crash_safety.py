"""Crash safety with real processes: kill `byline serve` mid-burst, restart, count.

Every comment that was answered 202 must be in the file after SIGKILL (the
acknowledgement comes after COMMIT with synchronous=FULL), the file must pass
`PRAGMA integrity_check`, and SIGTERM must drain and exit 0.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.storage import migrations
from tests.e2e.servers import Server, byline, byline_env, publish

pytestmark = pytest.mark.e2e

BURST = 300
KILL_AFTER_ACKS = 100
ENV = {
    "BYLINE_POST_MIN_INTERVAL_SECONDS": "0",
    "BYLINE_POST_RATE_LIMIT": "0",
    "BYLINE_DUPLICATE_WINDOW_SECONDS": "0",
    "BYLINE_LOG_LEVEL": "WARNING",
}


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def _admin_token(database: Path) -> str:
    env = byline_env(**ENV, BYLINE_DATABASE=str(database))
    return byline("tokens", "create", "--name", "t", "--role", "admin", env=env)


def _stored_ids(database: Path) -> tuple[set[str], str]:
    conn = sqlite3.connect(database)
    try:
        ids = {row[0] for row in conn.execute("SELECT public_id FROM comments")}
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return ids, integrity


async def _burst(base: str, on_acks: Any, kill_after: int) -> tuple[int, set[str], dict[str, int]]:
    """Sends BURST posts at once; calls on_acks() once `kill_after` 202s arrived."""
    acked: set[str] = set()
    outcomes: dict[str, int] = {}
    fired = asyncio.Event()
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=15, limits=limits) as client:

        async def one(i: int) -> None:
            body = {
                "name": f"Reader {i}",
                "email": f"reader{i}@example.org",
                "body": f"Comment number {i}: a distinct body {i * 7919}.",
            }
            try:
                r = await client.post("/v1/articles/crash/comments", json=body)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
                outcomes[key] = outcomes.get(key, 0) + 1
                return
            outcomes[str(r.status_code)] = outcomes.get(str(r.status_code), 0) + 1
            if r.status_code == 202:
                acked.add(r.json()["comment"]["id"])
                if len(acked) >= kill_after and not fired.is_set():
                    fired.set()
                    on_acks()

        await asyncio.gather(*(one(i) for i in range(BURST)))
    return BURST, acked, outcomes


def test_sigkill_mid_burst_loses_no_acknowledged_comment(workdir: Path) -> None:
    database = workdir / "crash.db"
    server = Server(database, env=byline_env(**ENV))
    try:
        publish(server.url, _admin_token(database), "crash")
        sent, acked, outcomes = asyncio.run(
            _burst(server.url, lambda: server.signal_group(signal.SIGKILL), KILL_AFTER_ACKS)
        )
    finally:
        server.kill()
    assert server.process.returncode == -signal.SIGKILL
    # Restart on the same file: recovery must work and see everything.
    again = Server(database, env=byline_env(**ENV))
    try:
        r = httpx.get(again.url + "/readyz", timeout=5)
        assert r.status_code == 200
    finally:
        again.stop()
    found, integrity = _stored_ids(database)
    summary = (
        f"SIGKILL: sent={sent} acknowledged={len(acked)} found={len(found)} "
        f"missing={len(acked - found)} outcomes={outcomes}"
    )
    print(summary)
    assert len(acked) >= KILL_AFTER_ACKS, summary
    assert acked <= found, summary
    assert integrity == "ok", f"{summary} integrity={integrity}"


def test_sigterm_drains_in_flight_requests_and_exits_0(workdir: Path) -> None:
    database = workdir / "term.db"
    server = Server(database, env=byline_env(**ENV))
    terminated_at: list[float] = []

    def terminate() -> None:
        terminated_at.append(time.monotonic())
        # SIGTERM to the main process only, as a process manager would.
        server.process.send_signal(signal.SIGTERM)

    try:
        publish(server.url, _admin_token(database), "crash")
        sent, acked, outcomes = asyncio.run(_burst(server.url, terminate, KILL_AFTER_ACKS))
        code = server.process.wait(timeout=15)
        exit_seconds = time.monotonic() - terminated_at[0]
    finally:
        server.kill()
    found, integrity = _stored_ids(database)
    summary = (
        f"SIGTERM: sent={sent} acknowledged={len(acked)} found={len(found)} "
        f"missing={len(acked - found)} exit={code} after {exit_seconds:.1f}s outcomes={outcomes}"
    )
    print(summary)
    assert code == 0, summary
    assert exit_seconds < 10, summary
    assert acked <= found, summary
    assert integrity == "ok", f"{summary} integrity={integrity}"


async def test_migration_failing_part_way_leaves_the_old_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aiosqlite

    path = tmp_path / "m.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await migrations.migrate(conn)
        real = migrations.load_migrations()
        version_before = (await conn.execute_fetchall("PRAGMA user_version"))[0][0]
        tables_before = await conn.execute_fetchall(
            "SELECT name, sql FROM sqlite_master ORDER BY name"
        )
        broken = [
            *real,
            (
                len(real) + 1,
                [
                    "CREATE TABLE half_done (id INTEGER PRIMARY KEY)",
                    "ALTER TABLE comments ADD COLUMN half_done_flag INTEGER",
                    "INSERT INTO half_done (id) VALUES (1)",
                    "THIS IS NOT SQL",
                ],
            ),
            (len(real) + 2, ["CREATE TABLE never_reached (id INTEGER)"]),
        ]
        monkeypatch.setattr(migrations, "load_migrations", lambda: broken)
        with pytest.raises(Exception, match="syntax error"):
            await migrations.migrate(conn)
        version_after = (await conn.execute_fetchall("PRAGMA user_version"))[0][0]
        tables_after = await conn.execute_fetchall(
            "SELECT name, sql FROM sqlite_master ORDER BY name"
        )
        assert version_after == version_before == len(real)
        assert [tuple(r) for r in tables_after] == [tuple(r) for r in tables_before]
        # And a fresh database with the broken list ends up with no schema at all.
        fresh = await aiosqlite.connect(tmp_path / "fresh.db", isolation_level=None)
        try:
            with pytest.raises(Exception, match="syntax error"):
                await migrations.migrate(fresh)
            assert (await fresh.execute_fetchall("PRAGMA user_version"))[0][0] == 0
            assert list(await fresh.execute_fetchall("SELECT name FROM sqlite_master")) == []
        finally:
            await fresh.close()
    finally:
        await conn.close()
