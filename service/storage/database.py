"""The SQLite connections: one writer with group commit, a few read-only readers.

Every connection gets the same PRAGMAs (foreign keys and synchronous are per
connection). Writes go through `write()`; the writes that arrive while one
commit is on disk share the next `BEGIN IMMEDIATE` transaction, each in its own
savepoint (writer.py). Other processes serialise on SQLite's own lock
(busy_timeout).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import aiosqlite

from service.errors import StorageUnavailable
from service.storage.migrations import migrate
from service.storage.writer import GroupWriter, Job, Transaction

__all__ = ["Database", "Params", "Queryable", "Transaction", "placeholders", "storage_errors"]

T = TypeVar("T")

Params = Mapping[str, Any] | tuple[Any, ...]
BUSY_TIMEOUT_SECONDS = 5.0
READ_BUSY_TIMEOUT_SECONDS = 0.5


class Queryable(Protocol):
    """Anything that runs read statements: the Database or an open Transaction."""

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None: ...


async def _connect_writer(
    path: str, pragmas: Iterable[str]
) -> tuple[aiosqlite.Connection, sqlite3.Connection]:
    """The writer connection, migrated, and the sqlite3 connection on its thread."""
    opened: list[sqlite3.Connection] = []

    def connect() -> sqlite3.Connection:  # runs on the connection's thread
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        opened.append(conn)
        return conn

    conn = aiosqlite.Connection(connect, iter_chunk_size=64)
    try:
        await conn
    except BaseException:
        # aiosqlite has queued its thread's stop, with a future nobody awaits: let the
        # thread end now, or it may answer into an event loop that has closed since
        # (a stray traceback on a failed start). `_thread` is aiosqlite's, as
        # `_execute` in writer.py is (the version is pinned).
        conn._thread.join(timeout=BUSY_TIMEOUT_SECONDS)
        raise
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = FULL")
        # Savepoint and statement journals in memory: they only matter until the
        # transaction ends (durability is the WAL's job), and on disk they cost
        # a temporary file's writes on every insert that fires a trigger.
        await conn.execute("PRAGMA temp_store = MEMORY")
        await conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await migrate(conn)
        for pragma in pragmas:
            await conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        await conn.close()
        raise
    return conn, opened[0]


async def _close_writer(conn: aiosqlite.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # closing matters more than statistics
        await conn.execute("PRAGMA optimize")
    await conn.close()


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


class InlineReader:
    """Reads on a plain read-only sqlite3 connection, run on the event loop itself.

    In WAL mode a reader never waits for the writer, and an indexed read costs a
    few microseconds, far less than handing it to a thread and back (measured:
    the two hops of a cached page cost more CPU than the rest of the request).
    Reads therefore run inline; writes, which wait for fsync, keep their thread.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if _is_unavailable(exc):
                raise StorageUnavailable() from exc
            raise

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


def _connect_inline_reader(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=READ_BUSY_TIMEOUT_SECONDS, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA query_only = ON")
    return conn


class Database:
    def __init__(self, path: str, *, writer_pragmas: Iterable[str] = ()) -> None:
        """`writer_pragmas` run on the writer after migrating: a seam for tests
        (e.g. `max_page_count = N` to make the disk "full")."""
        self.path = path
        self._writer_pragmas = tuple(writer_pragmas)
        self._writer_conn: aiosqlite.Connection | None = None
        self._writer: GroupWriter | None = None
        self._reader: sqlite3.Connection | None = None
        self._spare_readers: list[sqlite3.Connection] = []
        self._all_readers: list[sqlite3.Connection] = []
        self._loop_thread: int | None = None

    async def open(self) -> None:
        self._loop_thread = threading.get_ident()
        try:
            self._writer_conn, on_thread = await _connect_writer(self.path, self._writer_pragmas)
            self._writer = GroupWriter(self._writer_conn, on_thread)
            self._writer.start()
            self._reader = self._new_reader()
        except BaseException:
            await self.close()
            raise

    def _new_reader(self) -> sqlite3.Connection:
        conn = _connect_inline_reader(self.path)
        self._all_readers.append(conn)
        return conn

    async def close(self) -> None:
        # The writer first: the writes it still finishes may read.
        if self._writer is not None:
            await self._writer.stop()
            self._writer = None
        if self._writer_conn is not None:
            await _close_writer(self._writer_conn)
            self._writer_conn = None
        for reader in self._all_readers:
            reader.close()
        self._all_readers.clear()
        self._spare_readers.clear()
        self._reader = None

    def observe_batches(self, observe: Callable[[int], None]) -> None:
        """Calls `observe(size)` for every batch of writes the writer commits."""
        assert self._writer is not None, "database is not open"
        self._writer.on_batch = observe

    @property
    def waiting_writes(self) -> int:
        """Writes queued for the next batch (see writer.py)."""
        return self._writer.waiting if self._writer is not None else 0

    async def write(self, job: Job[T]) -> T:
        """Runs `job(tx)` as one write: committed (together with the writes queued
        beside it) before this returns its value; rolled back alone if it raises.

        The job runs on the writer's thread and may only await `tx` (writer.py).
        """
        assert self._writer is not None, "database is not open"
        async with storage_errors():
            return await self._writer.write(job)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[InlineReader]:
        """A reader to oneself, for several statements in one snapshot."""
        self._on_loop()
        conn = self._spare_readers.pop() if self._spare_readers else self._new_reader()
        try:
            async with storage_errors():
                conn.execute("BEGIN")
                try:
                    yield InlineReader(conn)
                finally:
                    conn.execute("COMMIT")
        finally:
            self._spare_readers.append(conn)

    def _on_loop(self) -> None:
        """Readers belong to the event loop's thread. A write job runs on the writer's
        thread and reads through its transaction; reading here instead would share
        a connection between threads and miss the job's own uncommitted rows."""
        if threading.get_ident() != self._loop_thread:
            raise RuntimeError("a write job read through the Database, not its transaction")

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        assert self._reader is not None, "database is not open"
        self._on_loop()
        return await InlineReader(self._reader).fetch_all(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> None:
        """Raises unless a reader answers: what readiness means."""
        await self.fetch_one("SELECT 1")


def placeholders(values: Iterable[Any]) -> str:
    """`?, ?, ?` for an IN list: the count comes from our code, the values stay bound."""
    return ", ".join("?" for _ in values)
