"""Group commit: the writes that queue up while one batch is on disk share the next.

One aiosqlite connection takes every write of this process. A write is a *job*:
an `async def job(tx)` that reads and writes through `tx` alone. The writer task
takes the jobs queued so far and hands the whole batch to the connection's
thread in one call: `BEGIN IMMEDIATE`, each job in its own savepoint, one
`COMMIT`. Only then do the jobs answer: one fsync for the whole batch, and an
acknowledgement never goes out before its commit is durable.

Why whole batches in the thread: each call into aiosqlite's thread is a hop
there and back (a queue, a self-pipe wake-up, two context switches). A comment
post took six hops, an approval nine; together they cost more CPU than the SQL
(measured in the README, "Performance"). A batch now costs one hop, however many
statements its jobs run.

A job's statements never wait (the transaction answers at once, on the thread),
so its coroutine runs to its end in one step; a job that suspends on anything
else (a sleep, a network call) is a bug, refused with RuntimeError, and so is a
job that reads through the Database rather than its transaction (database.py).
A job runs in a copy of its caller's context, so its log lines keep the request id.

A job that fails is rolled back to its savepoint alone and the others commit;
later jobs see the rows of earlier ones, so rules such as the duplicate check
hold within a batch as between batches. If SQLite rolls back the whole
transaction under a job (disk full, I/O error), or the commit fails, every job
of the batch that did not fail by itself is told the database is unavailable;
none was acknowledged.

A write cancelled before its turn on the thread is dropped. Once it has
started it runs and commits; its caller sees the cancellation, not the
acknowledgement. Two cases are answered 503 although SQLite may have made the
write durable: a COMMIT that fails (an I/O error), and a writer task cancelled
while its batch was on the thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aiosqlite

from service.errors import StorageUnavailable

T = TypeVar("T")

MAX_BATCH = 64


class Transaction:
    """Statements inside one write (its savepoint in the batch's transaction).

    It runs on the writer connection's thread, so its methods never wait: they
    are coroutines only to share the storage functions with the readers.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _still_open(self) -> sqlite3.Connection:
        """The connection, unless SQLite has rolled the batch back (disk full, I/O).

        Then the connection is in autocommit mode: a further statement would be
        committed on its own, half a write, while the write is answered 503.
        """
        if not self._conn.in_transaction:
            raise StorageUnavailable()
        return self._conn

    async def fetch_all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self._still_open().execute(sql, params).fetchall()

    async def fetch_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Any = ()) -> int:
        """Runs one statement; returns the rows it changed, not counting triggers."""
        return self._still_open().execute(sql, params).rowcount

    async def insert(self, sql: str, params: Any = ()) -> int:
        """Runs an INSERT; returns the new rowid."""
        return self._still_open().execute(sql, params).lastrowid or 0

    async def execute_many(self, sql: str, rows: Any) -> None:
        self._still_open().executemany(sql, rows)


Job = Callable[[Transaction], Coroutine[Any, Any, T]]


@dataclass
class _Queued(Generic[T]):
    job: Job[T]
    context: contextvars.Context
    answer: asyncio.Future[T]
    # Filled on the thread: the job's value, or the error it raised by itself.
    value: Any = None
    error: BaseException | None = None
    ran: bool = False


class GroupWriter:
    def __init__(self, conn: aiosqlite.Connection, sqlite: sqlite3.Connection) -> None:
        """`sqlite` is the connection inside `conn`, used only on `conn`'s thread."""
        self._conn = conn
        self._sqlite = sqlite
        self._queue: deque[_Queued[Any]] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        # Told each batch's size as it starts (the metrics' group-commit histogram).
        self.on_batch: Callable[[int], None] | None = None

    @property
    def waiting(self) -> int:
        """Writes waiting for their batch."""
        return len(self._queue)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="byline-writer")

    async def stop(self) -> None:
        """Finishes the writes already queued, then ends the writer task.

        Never raises the task's own end (cancelled, or a bug): closing goes on.
        """
        self._closing = True
        self._wake.set()
        if self._task is not None:
            # `wait`, not `await task`: a cancelled close does not cancel the writer
            # mid-batch, and a writer that ended badly does not stop the close.
            await asyncio.wait([self._task])
            self._task = None

    async def write(self, job: Job[T]) -> T:
        """Runs `job` in the next batch; returns its value once the batch is durable."""
        if self._closing or self._task is None or self._task.done():
            raise StorageUnavailable()
        answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        queued = _Queued(job, contextvars.copy_context(), answer)
        self._queue.append(queued)
        self._wake.set()
        return await queued.answer

    async def _run(self) -> None:
        try:
            while True:
                while not self._queue:
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                # One round of the loop first: requests it has ready that are about
                # to write join this batch rather than wait for the next fsync.
                await asyncio.sleep(0)
                batch = self._take_batch()
                if batch:
                    if self.on_batch is not None:
                        self.on_batch(len(batch))
                    await self._commit_batch(batch)
        finally:
            # However the writer ends, no write is left waiting.
            self._answer(list(self._queue), sqlite3.OperationalError("the writer has stopped"))
            self._queue.clear()

    def _take_batch(self) -> list[_Queued[Any]]:
        batch: list[_Queued[Any]] = []
        while self._queue and len(batch) < MAX_BATCH:
            queued = self._queue.popleft()
            if not queued.answer.done():  # not cancelled while waiting
                batch.append(queued)
        return batch

    async def _commit_batch(self, batch: list[_Queued[Any]]) -> None:
        # Stays an error unless the thread reports the commit: if the writer task is
        # cancelled meanwhile, the batch may still commit, but nobody may take it for done.
        lost: BaseException | None = sqlite3.OperationalError("the writer stopped mid-batch")
        try:
            # aiosqlite runs functions on its thread through `_execute`, as its own
            # `create_function` and `backup` do; it has no public name for it (the
            # version is pinned in pyproject.toml, and every write test goes through it).
            lost = await self._conn._execute(_run_batch, self._sqlite, batch)  # type: ignore[no-untyped-call]
        except Exception as exc:  # the connection is closed, or a bug: lose this batch only
            lost = exc
        finally:
            self._answer(batch, lost)

    @staticmethod
    def _answer(batch: Sequence[_Queued[Any]], lost: BaseException | None) -> None:
        """Each job's outcome once its batch has ended, however it ended: a job that
        never ran (or whose batch was lost) is told the database is unavailable."""
        for queued in batch:
            if queued.answer.done():  # cancelled after its batch had started
                continue
            if queued.error is not None:
                queued.answer.set_exception(queued.error)
            elif lost is not None or not queued.ran:
                queued.answer.set_exception(_unavailable(lost))
            else:
                queued.answer.set_result(queued.value)


def _run_batch(conn: sqlite3.Connection, batch: list[_Queued[Any]]) -> Exception | None:
    """On the writer thread: the whole batch in one transaction. Returns None once
    committed, or the error that lost it; each job's own outcome is left on it."""
    if conn.in_transaction:
        # A ROLLBACK that failed earlier left a transaction open: end it, or every
        # BEGIN from now on would fail.
        _rollback(conn)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:  # locked past the busy timeout, unreadable file
        return exc
    for queued in batch:
        if queued.answer.cancelled():  # cancelled on its way here: nothing to undo
            continue
        try:
            conn.execute("SAVEPOINT job")
        except sqlite3.Error as exc:
            _rollback(conn)
            return exc
        queued.ran = True
        try:
            queued.value = queued.context.run(_run_to_end, queued.job(Transaction(conn)))
        except BaseException as exc:  # even CancelledError or GeneratorExit: the job's own
            # A future cannot carry CancelledError, and the caller's task must not
            # read it as its own cancellation.
            queued.error = (
                exc
                if isinstance(exc, Exception)
                else RuntimeError(f"a write job raised {type(exc).__name__}")
            )
            try:
                # Fails ("no such savepoint") if SQLite rolled the whole transaction back.
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
            except sqlite3.Error as lost:
                _rollback(conn)
                return lost
            continue
        if not conn.in_transaction:
            # SQLite rolled the whole transaction back under a job that then
            # carried on; without this, the next SAVEPOINT would open a new one.
            return sqlite3.OperationalError("transaction rolled back")
        try:
            conn.execute("RELEASE job")
        except sqlite3.Error as exc:
            _rollback(conn)
            return exc
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        # A failed COMMIT leaves the transaction open: end it, so the writer
        # never stays mid-transaction.
        _rollback(conn)
        return exc
    return None


def _run_to_end(job: Coroutine[Any, Any, T]) -> T:
    """A job's coroutine, which never waits, run to its end in one step."""
    try:
        job.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    job.close()
    raise RuntimeError("a write job awaited something other than its transaction")


def _rollback(conn: sqlite3.Connection) -> None:
    """Ends what is left of a lost batch (a WAL rollback only drops pages: no I/O)."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _unavailable(exc: BaseException | None) -> BaseException:
    error = StorageUnavailable()
    error.__cause__ = exc
    return error
