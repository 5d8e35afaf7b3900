"""Group commit: the writes that queue up while one commit is on disk share the next.

One connection takes every write of this process. A writer task opens a
`BEGIN IMMEDIATE` transaction, hands it to each waiting write in turn (a *job*),
commits once, and only then lets the jobs answer: one fsync for the whole batch,
and an acknowledgement never goes out before its commit is durable.

Each job runs inside its own SAVEPOINT: a job that fails is rolled back alone and
the others commit; later jobs see the rows of earlier ones, so rules such as the
duplicate check hold within a batch as between batches. If SQLite rolls back the
whole transaction under a job (disk full, I/O error), or the commit fails, every
job of the batch is told the database is unavailable; none was acknowledged.

A job's statements run inline on the event loop: the writer already holds
SQLite's write lock, so a statement never waits for another connection and costs
microseconds, less than a trip to a thread. Only what can wait (BEGIN on a lock
another process holds, COMMIT on fsync, bulk statements) goes to the writer's own
thread, and the loop serves reads meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import TypeVar

from service.errors import StorageUnavailable

T = TypeVar("T")


class _Batch:
    """One transaction; `outcome` is None once committed, or the error that lost it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.outcome: asyncio.Future[Exception | None] = loop.create_future()
        self.lost: Exception | None = None


class _Job:
    """One write waiting for, then holding, its turn in a batch."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.turn: asyncio.Future[_Batch] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class GroupWriter:
    def __init__(self, conn: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._thread = thread
        self._queue: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Writes waiting for their turn."""
        return len(self._queue)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="byline-writer")

    async def stop(self) -> None:
        """Finishes the writes already queued, then ends the writer task."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def in_thread(self, fn: Callable[..., T], *args: object) -> T:
        """Runs `fn` in the writer's thread (the connection is never used by two at once:
        only the holder of the turn, or the writer task between turns, calls this)."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    @asynccontextmanager
    async def job(self) -> AsyncIterator[sqlite3.Connection]:
        """The connection inside this write's savepoint, once it is this write's turn.

        Returns (or re-raises the body's error) only after the batch has committed.
        """
        if self._closing or self._task is None:
            raise RuntimeError("the database is closed")
        job = _Job(asyncio.get_running_loop())
        self._queue.append(job)
        self._wake.set()
        try:
            batch = await job.turn
        except asyncio.CancelledError:
            job.finish()  # if the turn had just been given, give it back unused
            raise
        failed: BaseException | None = None
        try:
            self._conn.execute("SAVEPOINT job")
            try:
                yield self._conn
            except BaseException as exc:
                failed = exc
                self._undo(batch)
            else:
                self._conn.execute("RELEASE job")
        except sqlite3.Error as exc:  # SAVEPOINT or RELEASE itself failed
            failed = failed or exc
            self._undo(batch)
        finally:
            job.finish()
        if isinstance(failed, asyncio.CancelledError):
            raise failed
        # Even a refused write waits for the batch: its answer may rest on rows of
        # earlier jobs, and no answer should reveal what might never be committed.
        lost = await asyncio.shield(batch.outcome)
        if failed is not None:
            raise failed
        if lost is not None:
            raise StorageUnavailable() from lost

    def _undo(self, batch: _Batch) -> None:
        """Rolls the failed job back to its savepoint, or notes that the batch is lost."""
        if not self._conn.in_transaction:  # SQLite rolled the whole transaction back
            batch.lost = batch.lost or sqlite3.OperationalError("transaction rolled back")
            return
        try:
            self._conn.execute("ROLLBACK TO job")
            self._conn.execute("RELEASE job")
        except sqlite3.Error as exc:
            batch.lost = batch.lost or exc

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
            try:
                await self.in_thread(self._conn.execute, "BEGIN IMMEDIATE")
            except Exception as exc:
                self._refuse_waiting(exc)
                continue
            batch = _Batch(loop)
            await self._give_turns(batch)
            if batch.lost is None:
                batch.lost = await self._commit()
            else:
                self._rollback()
            batch.outcome.set_result(batch.lost)

    async def _give_turns(self, batch: _Batch) -> None:
        """Every write queued so far, and those that queue meanwhile, joins this batch.

        Once the queue is empty the loop gets one more round before the commit:
        requests it had ready that were about to write join this batch rather
        than wait for the next fsync (a round costs microseconds; a commit, an fsync).
        """
        while batch.lost is None:
            if not self._queue:
                await asyncio.sleep(0)
                if not self._queue:
                    return
            job = self._queue.popleft()
            if job.turn.done():  # cancelled while waiting
                continue
            job.turn.set_result(batch)
            await asyncio.shield(job.done)

    async def _commit(self) -> Exception | None:
        try:
            await self.in_thread(self._conn.execute, "COMMIT")
        except Exception as exc:
            # A failed COMMIT leaves the transaction open: end it, so the writer
            # never stays mid-transaction.
            self._rollback()
            return exc
        return None

    def _rollback(self) -> None:
        """Ends what is left of a lost batch (a WAL rollback only drops pages: no I/O)."""
        if self._conn.in_transaction:
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def _refuse_waiting(self, exc: Exception) -> None:
        """BEGIN failed (locked past the busy timeout, unreadable file): every write
        waiting now gets the error rather than waiting the whole timeout again."""
        while self._queue:
            job = self._queue.popleft()
            if not job.turn.done():
                job.turn.set_exception(_unavailable(exc))


def _unavailable(exc: Exception) -> BaseException:
    error = StorageUnavailable()
    error.__cause__ = exc
    return error
