"""Group commit (service/storage/writer.py) on a real SQLite file.

Writes queued while another holds the transaction share its commit; each runs in
its own savepoint, so one failing is rolled back alone; a write is answered only
once its batch is durable, and a batch lost as a whole acknowledges nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest

from service.errors import StorageUnavailable
from service.storage import writer
from service.storage.database import Database
from service.storage.writer import GroupWriter
from tests.batching import one_batch


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(str(tmp_path / "w.db"))
    await database.open()
    async with database.write() as tx:
        await tx.execute("CREATE TABLE notes (text TEXT PRIMARY KEY)")
    try:
        yield database
    finally:
        await database.close()


def stored(db: Database) -> set[str]:
    with closing(sqlite3.connect(db.path)) as conn:
        return {row[0] for row in conn.execute("SELECT text FROM notes")}


async def note(db: Database, text: str, *, then: BaseException | None = None) -> int:
    """Stores `text`; returns how many notes this write saw, or raises `then` after storing."""
    async with db.write() as tx:
        await tx.execute("INSERT INTO notes (text) VALUES (:t)", {"t": text})
        seen = await tx.fetch_one("SELECT count(*) FROM notes")
        if then is not None:
            raise then
    assert seen is not None
    return int(seen[0])


async def test_writes_queued_together_commit_together_and_see_each_other(db: Database) -> None:
    async with one_batch(db, writes=3):
        tasks = [asyncio.create_task(note(db, text)) for text in ("a", "b", "c")]
    first = await tasks[0]
    # The first write is answered only after the commit that also holds the last one.
    assert stored(db) == {"a", "b", "c"}
    assert [first, await tasks[1], await tasks[2]] == [1, 2, 3]


async def test_a_failing_write_is_rolled_back_alone(db: Database) -> None:
    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a"))
        b = asyncio.create_task(note(db, "b", then=ValueError("refused")))
        c = asyncio.create_task(note(db, "c"))
    assert await a == 1
    with pytest.raises(ValueError, match="refused"):
        await b
    assert await c == 2  # b's row was gone by the time c ran
    assert stored(db) == {"a", "c"}


async def test_a_batch_lost_under_a_write_acknowledges_none_of_it(db: Database) -> None:
    async def lose_the_transaction() -> None:
        # What SQLite does by itself on some disk-full and I/O errors.
        async with db.write() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('b')")
            await tx.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")

    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a"))
        b = asyncio.create_task(lose_the_transaction())
        c = asyncio.create_task(note(db, "c"))
    with pytest.raises(StorageUnavailable):
        await a
    with pytest.raises(StorageUnavailable):
        await b
    assert await c == 1  # the next batch
    assert stored(db) == {"c"}
    assert await note(db, "d") == 2  # and the writer carries on


async def test_a_write_cancelled_in_the_queue_holds_up_nothing(db: Database) -> None:
    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a"))
        b = asyncio.create_task(note(db, "b"))
        c = asyncio.create_task(note(db, "c"))
        await asyncio.sleep(0.01)
        b.cancel()
    assert await a == 1
    with pytest.raises(asyncio.CancelledError):
        await b
    assert await c == 2
    assert stored(db) == {"a", "c"}


async def test_closing_commits_the_writes_already_queued(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "c.db"))
    await db.open()
    async with db.write() as tx:
        await tx.execute("CREATE TABLE notes (text TEXT PRIMARY KEY)")
    tasks = [asyncio.create_task(note(db, str(i))) for i in range(5)]
    await asyncio.sleep(0)
    await db.close()
    assert sorted([await t for t in tasks]) == [1, 2, 3, 4, 5]
    assert stored(db) == {"0", "1", "2", "3", "4"}


async def test_the_first_write_of_a_batch_failing_leaves_the_writes_behind_it_to_commit(
    db: Database,
) -> None:
    # The first write of a batch has no savepoint of its own: its failure rolls
    # the transaction back, and the writes queued behind it start the next one.
    entered, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.write() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('a')")
            entered.set()
            await release.wait()
            raise ValueError("refused")

    a = asyncio.create_task(first())
    await entered.wait()
    b = asyncio.create_task(note(db, "b"))
    c = asyncio.create_task(note(db, "c"))
    async with asyncio.timeout(10):
        while db.waiting_writes < 2:  # noqa: ASYNC110  # a count, not an event
            await asyncio.sleep(0.001)
    release.set()
    with pytest.raises(ValueError, match="refused"):
        await a
    assert [await b, await c] == [1, 2]
    assert stored(db) == {"b", "c"}


async def test_a_write_that_carries_on_after_losing_the_transaction_is_not_acknowledged(
    db: Database,
) -> None:
    async def carry_on() -> None:
        async with db.write() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('a')")
            await tx.execute("ROLLBACK")  # as SQLite does by itself on some I/O errors
            # Refused: in autocommit mode it would be stored at once, half a write.
            await tx.execute("INSERT INTO notes (text) VALUES ('a, the rest')")

    async with one_batch(db, writes=2):
        a = asyncio.create_task(carry_on())
        b = asyncio.create_task(note(db, "b"))
    with pytest.raises(StorageUnavailable):
        await a
    assert await b == 1  # the next batch
    assert stored(db) == {"b"}


async def test_a_write_cancelled_during_its_turn_is_rolled_back_alone(db: Database) -> None:
    started = asyncio.Event()

    async def stalled() -> None:
        async with db.write() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('b')")
            started.set()
            await asyncio.Event().wait()

    async def cancel_once_started(task: asyncio.Task[None]) -> None:
        await started.wait()
        task.cancel()

    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a"))
        b = asyncio.create_task(stalled())
        c = asyncio.create_task(note(db, "c"))
        canceller = asyncio.create_task(cancel_once_started(b))
    await canceller
    assert await a == 1
    with pytest.raises(asyncio.CancelledError):
        await b
    assert await c == 2
    assert stored(db) == {"a", "c"}


async def test_a_steady_stream_of_writes_still_commits_in_bounded_batches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "MAX_BATCH", 3)
    commits = 0
    commit = GroupWriter._commit

    async def counted(self: GroupWriter) -> Exception | None:
        nonlocal commits
        commits += 1
        return await commit(self)

    monkeypatch.setattr(GroupWriter, "_commit", counted)
    async with one_batch(db, writes=7):
        writes = [asyncio.create_task(note(db, f"n{i}")) for i in range(7)]
    await asyncio.gather(*writes)
    assert stored(db) == {f"n{i}" for i in range(7)}
    assert commits >= 3  # at most 3 writes per commit


async def test_a_savepoint_failing_while_its_write_is_cancelled_stops_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = db._writer_conn
    assert connection is not None
    real = connection.execute
    cancel_now = asyncio.Event()

    async def failing_savepoint(sql: str, *args: object) -> object:
        if sql == "SAVEPOINT job":
            cancel_now.set()
            await asyncio.sleep(0.05)  # the hop, during which the write is cancelled
            raise sqlite3.OperationalError("disk I/O error")
        return await real(sql, *args)  # type: ignore[arg-type]

    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.write() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('first')")
            holding.set()
            await release.wait()

    monkeypatch.setattr(connection, "execute", failing_savepoint)
    a = asyncio.create_task(first())
    await holding.wait()
    b = asyncio.create_task(note(db, "b"))
    await asyncio.sleep(0.01)
    release.set()
    await cancel_now.wait()
    b.cancel()
    with pytest.raises(StorageUnavailable):
        await asyncio.wait_for(a, 5)  # its batch was lost with the savepoint
    monkeypatch.setattr(connection, "execute", real)
    assert await asyncio.wait_for(note(db, "c"), 5) == 1  # the writer lives on
    assert stored(db) == {"c"}


async def test_closing_lets_a_write_in_progress_finish_and_read(tmp_path: Path) -> None:
    database = Database(str(tmp_path / "c.db"))
    await database.open()
    async with database.write() as tx:
        await tx.execute("CREATE TABLE notes (text TEXT PRIMARY KEY)")
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow_write() -> int:
        async with database.write() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('last')")
            inside.set()
            await release.wait()
            row = await database.fetch_one("SELECT count(*) FROM notes")  # a reader
        assert row is not None
        return int(row[0])

    write = asyncio.create_task(slow_write())
    await inside.wait()
    closing_down = asyncio.create_task(database.close())
    await asyncio.sleep(0.05)
    release.set()
    assert await asyncio.wait_for(write, 5) == 0  # the reader saw the state before commit
    await asyncio.wait_for(closing_down, 5)
    assert stored(database) == {"last"}
