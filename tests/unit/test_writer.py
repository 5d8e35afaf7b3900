"""Group commit (service/storage/writer.py) on a real SQLite file.

Writes queued while a batch is on disk share the next batch and its commit;
each runs in its own savepoint, so one failing is rolled back alone; a write is
answered only once its batch is durable, and a batch lost as a whole
acknowledges nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import closing, suppress
from pathlib import Path

import pytest

from service.errors import StorageUnavailable
from service.storage import writer
from service.storage.database import Database, Transaction
from tests.batching import one_batch


async def create_notes(tx: Transaction) -> None:
    await tx.execute("CREATE TABLE notes (text TEXT PRIMARY KEY)")


async def open_notes(path: Path) -> Database:
    database = Database(str(path))
    await database.open()
    await database.write(create_notes)
    return database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_notes(tmp_path / "w.db")
    try:
        yield database
    finally:
        await database.close()


def stored(db: Database) -> set[str]:
    with closing(sqlite3.connect(db.path)) as conn:
        return {row[0] for row in conn.execute("SELECT text FROM notes")}


async def note(db: Database, text: str, *, then: BaseException | None = None) -> int:
    """Stores `text`; returns how many notes this write saw, or raises `then` after storing."""

    async def insert(tx: Transaction) -> int:
        await tx.execute("INSERT INTO notes (text) VALUES (:t)", {"t": text})
        seen = await tx.fetch_one("SELECT count(*) FROM notes")
        if then is not None:
            raise then
        assert seen is not None
        return int(seen[0])

    return await db.write(insert)


class HeldWrite:
    """A write that stores `text`, then stops on the writer's thread until released."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.running, self.release = threading.Event(), threading.Event()

    async def __call__(self, tx: Transaction) -> int:
        await tx.execute("INSERT INTO notes (text) VALUES (:t)", {"t": self.text})
        self.running.set()
        self.release.wait(10)
        row = await tx.fetch_one("SELECT count(*) FROM notes")
        assert row is not None
        return int(row[0])

    async def started(self) -> None:
        await asyncio.to_thread(self.running.wait, 10)


async def test_writes_queued_together_commit_together_and_see_each_other(db: Database) -> None:
    async with one_batch(db, writes=3):
        tasks = [asyncio.create_task(note(db, text)) for text in ("a", "b", "c")]
    first = await tasks[0]
    # The first write is answered only after the commit that also holds the last one.
    assert stored(db) == {"a", "b", "c"}
    assert [first, await tasks[1], await tasks[2]] == [1, 2, 3]


async def test_a_batch_is_one_call_into_the_connection_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    run_batch = writer._run_batch

    def counted(*args: object) -> object:
        nonlocal calls
        calls += 1
        return run_batch(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_run_batch", counted)
    async with one_batch(db, writes=5):
        tasks = [asyncio.create_task(note(db, f"n{i}")) for i in range(5)]
    assert sorted(await asyncio.gather(*tasks)) == [1, 2, 3, 4, 5]
    assert calls == 2  # the holder's batch, then the five together


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


async def test_the_first_write_of_a_batch_failing_leaves_the_others_to_commit(
    db: Database,
) -> None:
    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a", then=ValueError("refused")))
        b = asyncio.create_task(note(db, "b"))
        c = asyncio.create_task(note(db, "c"))
    with pytest.raises(ValueError, match="refused"):
        await a
    assert [await b, await c] == [1, 2]
    assert stored(db) == {"b", "c"}


async def test_a_batch_lost_under_a_write_acknowledges_none_of_it(db: Database) -> None:
    async def lose_the_transaction(tx: Transaction) -> None:
        # What SQLite does by itself on some disk-full and I/O errors.
        await tx.execute("INSERT INTO notes (text) VALUES ('b')")
        await tx.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a"))
        b = asyncio.create_task(db.write(lose_the_transaction))
        c = asyncio.create_task(note(db, "c"))
    with pytest.raises(StorageUnavailable):
        await a
    with pytest.raises(StorageUnavailable):
        await b
    with pytest.raises(StorageUnavailable):
        await c  # it never ran: its batch was gone
    assert stored(db) == set()
    assert await note(db, "d") == 1  # and the writer carries on


async def test_a_write_that_carries_on_after_losing_the_transaction_is_not_acknowledged(
    db: Database,
) -> None:
    async def carry_on(tx: Transaction) -> None:
        await tx.execute("INSERT INTO notes (text) VALUES ('a')")
        await tx.execute("ROLLBACK")  # as SQLite does by itself on some I/O errors
        # Refused: in autocommit mode it would be stored at once, half a write.
        await tx.execute("INSERT INTO notes (text) VALUES ('a, the rest')")

    async def swallow_the_refusal(tx: Transaction) -> None:
        await tx.execute("INSERT INTO notes (text) VALUES ('b')")
        await tx.execute("ROLLBACK")
        # A job that hides the loss is still not acknowledged.
        with suppress(StorageUnavailable):
            await tx.execute("INSERT INTO notes (text) VALUES ('b, the rest')")

    async with one_batch(db, writes=2):
        a = asyncio.create_task(db.write(carry_on))
        b = asyncio.create_task(note(db, "b"))
    with pytest.raises(StorageUnavailable):
        await a
    with pytest.raises(StorageUnavailable):
        await b  # queued behind it in the batch that was lost
    with pytest.raises(StorageUnavailable):
        await db.write(swallow_the_refusal)
    assert stored(db) == set()
    assert await note(db, "c") == 1  # the writer lives on


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


async def test_a_write_cancelled_once_its_batch_runs_still_commits(db: Database) -> None:
    slow = HeldWrite("slow")
    task = asyncio.create_task(db.write(slow))
    await slow.started()
    task.cancel()
    slow.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await note(db, "next") == 2
    assert stored(db) == {"slow", "next"}


async def test_a_write_that_awaits_anything_but_its_transaction_is_refused(
    db: Database,
) -> None:
    async def waits(tx: Transaction) -> None:
        await tx.execute("INSERT INTO notes (text) VALUES ('waited')")
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="awaited something other"):
        await db.write(waits)
    assert await note(db, "after") == 1
    assert stored(db) == {"after"}


async def test_a_write_runs_in_its_callers_context(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    request = contextvars.ContextVar("request", default="none")
    request.set("r-42")

    async def logs(tx: Transaction) -> str:
        logging.getLogger("test.writer").warning("inside")
        return request.get()

    with caplog.at_level(logging.WARNING, logger="test.writer"):
        assert await db.write(logs) == "r-42"
    [record] = caplog.records
    assert record.threadName != threading.current_thread().name  # it ran on the writer's thread


async def test_closing_commits_the_writes_already_queued(tmp_path: Path) -> None:
    db = await open_notes(tmp_path / "c.db")
    tasks = [asyncio.create_task(note(db, str(i))) for i in range(5)]
    await asyncio.sleep(0)
    await db.close()
    assert sorted([await t for t in tasks]) == [1, 2, 3, 4, 5]
    assert stored(db) == {"0", "1", "2", "3", "4"}


async def test_closing_refuses_writes_that_come_after(tmp_path: Path) -> None:
    db = await open_notes(tmp_path / "c.db")
    await db.close()
    with pytest.raises(AssertionError, match="not open"):
        await note(db, "late")


async def test_a_steady_stream_of_writes_still_commits_in_bounded_batches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "MAX_BATCH", 3)
    sizes: list[int] = []
    run_batch = writer._run_batch

    def counted(conn: sqlite3.Connection, batch: list[object]) -> object:
        sizes.append(len(batch))
        return run_batch(conn, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_run_batch", counted)
    async with one_batch(db, writes=7):
        writes = [asyncio.create_task(note(db, f"n{i}")) for i in range(7)]
    await asyncio.gather(*writes)
    assert stored(db) == {f"n{i}" for i in range(7)}
    assert sizes[1:] == [3, 3, 1]  # after the holder's batch


async def test_closing_lets_a_write_in_progress_finish(tmp_path: Path) -> None:
    database = await open_notes(tmp_path / "c.db")
    slow = HeldWrite("last")
    write = asyncio.create_task(database.write(slow))
    await slow.started()
    closing_down = asyncio.create_task(database.close())
    await asyncio.sleep(0.05)
    assert not closing_down.done()
    slow.release.set()
    assert await asyncio.wait_for(write, 5) == 1
    await asyncio.wait_for(closing_down, 5)
    assert stored(database) == {"last"}


@pytest.mark.parametrize("error", [asyncio.CancelledError, GeneratorExit, KeyboardInterrupt])
async def test_a_write_raising_a_base_exception_fails_alone(
    db: Database, error: type[BaseException]
) -> None:
    async def odd(tx: Transaction) -> None:
        await tx.execute("INSERT INTO notes (text) VALUES ('odd')")
        raise error()

    async with one_batch(db, writes=3):
        a = asyncio.create_task(note(db, "a"))
        b = asyncio.create_task(db.write(odd))
        c = asyncio.create_task(note(db, "c"))
    assert await a == 1
    with pytest.raises(RuntimeError, match=f"raised {error.__name__}"):
        await b  # not the caller's own cancellation, and not a hang
    assert await c == 2
    assert stored(db) == {"a", "c"}
    assert await note(db, "d") == 3  # the writer lives on


async def test_a_write_reading_through_the_database_is_refused(db: Database) -> None:
    async def reads_beside(tx: Transaction) -> None:
        await tx.execute("INSERT INTO notes (text) VALUES ('mine')")
        await db.fetch_one("SELECT count(*) FROM notes")  # would miss 'mine'

    with pytest.raises(RuntimeError, match="not its transaction"):
        await db.write(reads_beside)
    assert stored(db) == set()


async def test_closing_after_the_writer_was_cancelled_mid_batch_still_closes(
    tmp_path: Path,
) -> None:
    database = await open_notes(tmp_path / "c.db")
    slow = HeldWrite("slow")
    write = asyncio.create_task(database.write(slow))
    await slow.started()
    writer_task = database._writer._task  # type: ignore[union-attr]
    assert writer_task is not None
    writer_task.cancel()
    await asyncio.sleep(0.01)
    slow.release.set()
    with pytest.raises(StorageUnavailable):
        await write  # not acknowledged, though the thread may still commit it
    await asyncio.wait_for(database.close(), 5)
    assert database._writer_conn is None
    with pytest.raises(AssertionError, match="not open"):
        await database.fetch_one("SELECT 1")
