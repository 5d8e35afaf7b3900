"""Lining writes up in one group-commit batch, for the tests that need it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.storage.database import Database, Transaction


@asynccontextmanager
async def one_batch(db: Database, writes: int) -> AsyncIterator[None]:
    """Keeps the writer's thread busy with a write of its own while the block
    queues writes; leaving the block waits until `writes` are queued, then lets
    the writer go: they all share the next batch, its transaction and its commit."""
    running, release = threading.Event(), threading.Event()

    async def hold(tx: Transaction) -> None:
        running.set()
        release.wait(10)  # on the writer's thread: no write can start meanwhile

    holder = asyncio.create_task(db.write(hold))
    try:
        async with asyncio.timeout(10):
            while not running.is_set():  # noqa: ASYNC110  # a thread's event
                await asyncio.sleep(0.001)
        yield
        async with asyncio.timeout(10):
            while db.waiting_writes < writes:  # noqa: ASYNC110  # a count, not an event
                await asyncio.sleep(0.001)
    finally:
        release.set()
        await holder
