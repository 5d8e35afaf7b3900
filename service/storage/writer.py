"""Group commit: the writes that queue up while one commit is on disk share the next.

One aiosqlite connection takes every write of this process. A writer task opens
a `BEGIN IMMEDIATE` transaction, hands it to each waiting write in turn (a
*job*), commits once, and only then lets the jobs answer: one fsync for the
whole batch, and an acknowledgement never goes out before its commit is durable.

Each job runs inside its own SAVEPOINT (all but the first; see `_give_turns`):
a job that fails is rolled back alone and the others commit; later jobs see the
rows of earlier ones, so rules such as the duplicate check hold within a batch
as between batches. If SQLite rolls back the whole transaction under a job (disk
full, I/O error), or the commit fails, every job of the batch is told the
database is unavailable; none was acknowledged.

A batch takes at most `MAX_BATCH` writes, so under a steady stream of writes
commits (and acknowledgements) still come every few milliseconds.

Every statement goes through aiosqlite's thread, one hop each, and the event
loop serves reads meanwhile. The transaction statements (BEGIN, SAVEPOINT,
ROLLBACK TO, COMMIT) are issued by the writer task alone, never by a job, so a
job cancelled mid-statement cannot leave its savepoint half undone: aiosqlite
runs statements in the order they were queued, so the writer's `ROLLBACK TO`
always runs after the last statement the job had sent.

A write cancelled after its block ended but before the commit still commits;
its caller sees the cancellation, not the acknowledgement. A COMMIT that fails
(an I/O error) is answered 503 although SQLite may have made it durable.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import aiosqlite

from service.errors import StorageUnavailable

MAX_BATCH = 64


class _Batch:
    """One transaction; `outcome` is None once committed, or the error that lost it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.outcome: asyncio.Future[Exception | None] = loop.create_future()
        self.lost: Exception | None = None
        self.ended = False  # its only job failed and took the transaction with it


class _Job:
    """One write waiting for, then holding, its turn in a batch."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.turn: asyncio.Future[_Batch] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.failed: BaseException | None = None

    def finish(self, failed: BaseException | None = None) -> None:
        if not self.done.done():
            self.failed = failed
            self.done.set_result(None)


class GroupWriter:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
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
            # Shielded: a cancelled close must not cut the writer off mid-batch.
            await asyncio.shield(self._task)
            self._task = None

    @asynccontextmanager
    async def job(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection inside this write's savepoint, once it is this write's turn.

        Returns (or re-raises the body's error) only after the batch has committed.
        """
        if self._closing or self._task is None or self._task.done():
            raise StorageUnavailable()
        job = _Job(asyncio.get_running_loop())
        self._queue.append(job)
        self._wake.set()
        try:
            batch = await job.turn
        except asyncio.CancelledError:
            job.finish()  # if the turn had just been given, give it back unused
            raise
        try:
            yield self._conn
        except BaseException as exc:
            job.finish(exc)  # the writer task rolls it back
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            job.finish()
        # Even a refused write waits for the batch: its answer may rest on rows of
        # earlier jobs, and no answer should reveal what might never be committed.
        lost = await asyncio.shield(batch.outcome)
        if job.failed is not None:
            raise job.failed
        if lost is not None:
            raise StorageUnavailable() from lost

    async def _run(self) -> None:
        try:
            while True:
                while not self._queue:
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                await self._one_batch()
        finally:
            # However the writer ends, no write is left waiting for a turn.
            self._refuse_waiting(sqlite3.OperationalError("the writer has stopped"))

    async def _one_batch(self) -> None:
        if self._conn.in_transaction:
            # A ROLLBACK that failed earlier left a transaction open: end it, or
            # every BEGIN from now on would fail.
            await self._rollback()
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            self._refuse_waiting(exc)
            return
        batch = _Batch(asyncio.get_running_loop())
        # Stays an error unless the batch ends normally: if the writer task is
        # cancelled mid-batch, nobody may take that for a commit.
        outcome: Exception | None = sqlite3.OperationalError("the writer stopped mid-batch")
        try:
            await self._give_turns(batch)
            if batch.ended:
                pass
            elif batch.lost is None:
                batch.lost = await self._commit()
            else:
                await self._rollback()
            outcome = batch.lost
        except Exception as exc:  # a bug or an aiosqlite failure: lose this batch only
            outcome = exc
            await self._rollback()
        finally:
            batch.outcome.set_result(outcome)

    async def _give_turns(self, batch: _Batch) -> None:
        """Every write queued so far, and those that queue meanwhile, joins this batch.

        Once the queue is empty the loop gets one more round before the commit:
        requests it had ready that were about to write join this batch rather
        than wait for the next fsync (a round costs microseconds; a commit, an fsync).

        Savepoints cost a hop each, so the batch spends as few as it can: the
        first job needs none (if it fails, the whole transaction is rolled back,
        nothing else is in it yet, and the writes queued behind it start a new
        one), and a job that succeeds leaves its savepoint open rather than
        releasing it: the next job's savepoint nests inside, `ROLLBACK TO job`
        goes back to the innermost one of that name, and COMMIT ends them all.
        """
        first = True
        given = 0
        while batch.lost is None and given < MAX_BATCH:
            if not self._queue:
                await asyncio.sleep(0)
                if not self._queue:
                    return
            job = self._queue.popleft()
            if job.turn.done():  # cancelled while waiting
                continue
            if not first:
                try:
                    await self._conn.execute("SAVEPOINT job")
                except sqlite3.Error as exc:
                    batch.lost = exc
                    if not job.turn.done():  # it may have been cancelled meanwhile
                        job.turn.set_exception(_unavailable(exc))
                    return
                if job.turn.done():  # cancelled during the SAVEPOINT: an empty one
                    continue
            job.turn.set_result(batch)
            given += 1
            await asyncio.shield(job.done)
            if job.failed is not None:
                if first:
                    # Not `_rollback()`: a cancelled job may still have a statement
                    # in the thread, so ask SQLite in order, not `in_transaction` now.
                    with suppress(sqlite3.Error):  # "no transaction is active"
                        await self._conn.execute("ROLLBACK")
                    batch.ended = True
                    return
                await self._undo(batch)
            elif not self._conn.in_transaction:
                # SQLite rolled the whole transaction back under a job that then
                # carried on; without this, the next SAVEPOINT would open a new one.
                batch.lost = sqlite3.OperationalError("transaction rolled back")
            first = False

    async def _undo(self, batch: _Batch) -> None:
        """Rolls the failed job back to its savepoint, or notes that the batch is lost."""
        try:
            # Fails ("no such savepoint") if SQLite rolled the whole transaction back.
            await self._conn.execute("ROLLBACK TO job")
        except sqlite3.Error as exc:
            batch.lost = exc

    async def _commit(self) -> Exception | None:
        try:
            await self._conn.execute("COMMIT")
        except Exception as exc:
            # A failed COMMIT leaves the transaction open: end it, so the writer
            # never stays mid-transaction.
            await self._rollback()
            return exc
        return None

    async def _rollback(self) -> None:
        """Ends what is left of a lost batch (a WAL rollback only drops pages: no I/O)."""
        if self._conn.in_transaction:
            with suppress(sqlite3.Error):
                await self._conn.execute("ROLLBACK")

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
