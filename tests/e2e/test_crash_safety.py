"""Crash safety with real processes: kill `byline serve` mid-burst, restart, count.

Every comment that was answered 202 must be in the file after SIGKILL (the
acknowledgement comes after COMMIT with synchronous=FULL), the file must pass
`PRAGMA integrity_check`, and SIGTERM must drain and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.storage import migrations

pytestmark = pytest.mark.e2e

BURST = 300
KILL_AFTER_ACKS = 100
ENV = {
    "BYLINE_POST_MIN_INTERVAL_SECONDS": "0",
    "BYLINE_POST_RATE_LIMIT": "0",
    "BYLINE_DUPLICATE_WINDOW_SECONDS": "0",
    "BYLINE_LOG_LEVEL": "WARNING",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    env.update(ENV)
    return env


class Server:
    def __init__(self, database: Path, log: Path) -> None:
        self.database = database
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service",
                "serve",
                "--database",
                str(database),
                "--port",
                str(self.port),
            ],
            env=_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we kill the whole tree
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/readyz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not become ready in 20 s")

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.signal_group(signal.SIGKILL)
        self.proc.wait(timeout=10)
        # Workers may outlive the parent for a moment; make sure the group is gone.
        self.signal_group(signal.SIGKILL)
        self._log.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def _admin_token(database: Path) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "tokens",
            "create",
            "--name",
            "t",
            "--role",
            "admin",
        ],
        # `tokens create --database` is refused by the parser today (the option sits on
        # `tokens`, not on `create`); the environment works with either spelling.
        env={**_env(), "BYLINE_DATABASE": str(database)},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.strip().splitlines()[-1]


def _seed(server: Server, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
        r = client.put("/v1/admin/authors/ann", json={"name": "Ann", "bio": "Writes."})
        assert r.status_code in (200, 201), r.text
        r = client.put(
            "/v1/admin/articles/crash",
            json={"title": "Crash", "body_markdown": "Text.", "author": "ann"},
        )
        assert r.status_code in (200, 201), r.text


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
    log = workdir / "server.log"
    server = Server(database, log)
    try:
        _seed(server, _admin_token(database))
        sent, acked, outcomes = asyncio.run(
            _burst(server.base, lambda: server.signal_group(signal.SIGKILL), KILL_AFTER_ACKS)
        )
    finally:
        server.stop()
    assert server.proc.returncode == -signal.SIGKILL
    # Restart on the same file: recovery must work and see everything.
    again = Server(database, log)
    try:
        r = httpx.get(again.base + "/readyz", timeout=5)
        assert r.status_code == 200
    finally:
        again.signal_group(signal.SIGTERM)
        again.proc.wait(timeout=15)
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
    log = workdir / "server.log"
    server = Server(database, log)
    terminated_at: list[float] = []

    def terminate() -> None:
        terminated_at.append(time.monotonic())
        # SIGTERM to the main process only, as a process manager would.
        server.proc.send_signal(signal.SIGTERM)

    try:
        _seed(server, _admin_token(database))
        sent, acked, outcomes = asyncio.run(_burst(server.base, terminate, KILL_AFTER_ACKS))
        code = server.proc.wait(timeout=15)
        exit_seconds = time.monotonic() - terminated_at[0]
    finally:
        server.stop()
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
