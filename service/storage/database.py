"""The SQLite connections: one writer behind a lock, a few read-only readers.

Every connection gets the same PRAGMAs (foreign keys and synchronous are per
connection). Writes go through `write()`, one `BEGIN IMMEDIATE` transaction at a
time per process; other processes serialise on SQLite's own lock (busy_timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aiosqlite

from service.errors import StorageUnavailable
from service.storage.migrations import migrate

Params = Mapping[str, Any] | tuple[Any, ...]
BUSY_TIMEOUT_SECONDS = 5.0
READERS = 3


class Queryable(Protocol):
    """Anything that runs read statements: the Database or an open Transaction."""

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None: ...


class Transaction:
    """Statements inside one open transaction on one connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Runs one statement; returns the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Runs an INSERT; returns the new rowid."""
        rowid = (await self._conn.execute_insert(sql, params) or (0,))[0]
        return int(rowid)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)


async def _connect(path: str, *, read_only: bool) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    if read_only:
        await conn.execute("PRAGMA query_only = ON")
    return conn


def _is_unavailable(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("locked", "busy", "disk i/o", "full", "readonly", "unable to open")
    )


@asynccontextmanager
async def storage_errors() -> AsyncIterator[None]:
    """Turn "the database can't serve now" into StorageUnavailable (503)."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if _is_unavailable(exc):
            raise StorageUnavailable() from exc
        raise


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        try:
            self._writer = await _connect(self.path, read_only=False)
            await self._writer.execute("PRAGMA journal_mode = WAL")
            await migrate(self._writer)
            for _ in range(READERS):
                reader = await _connect(self.path, read_only=True)
                self._all_readers.append(reader)
                self._readers.put_nowait(reader)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        if self._writer is not None:
            with contextlib.suppress(sqlite3.Error):  # closing matters more than statistics
                await self._writer.execute("PRAGMA optimize")
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """One write transaction; commits on success, rolls back on any error."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock, storage_errors():
            conn = self._writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Transaction]:
        """A reader to oneself, for several statements in one snapshot."""
        reader = await self._readers.get()
        try:
            async with storage_errors():
                await reader.execute("BEGIN")
                try:
                    yield Transaction(reader)
                finally:
                    await reader.execute("COMMIT")
        finally:
            self._readers.put_nowait(reader)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        reader = await self._readers.get()
        try:
            async with storage_errors():
                return list(await reader.execute_fetchall(sql, params))
        finally:
            self._readers.put_nowait(reader)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> None:
        """Raises unless a reader answers: what readiness means."""
        await self.fetch_one("SELECT 1")


def placeholders(values: Iterable[Any]) -> str:
    """`?, ?, ?` for an IN list: the count comes from our code, the values stay bound."""
    return ", ".join("?" for _ in values)
