"""Lining writes up in one group-commit batch, for the tests that need it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.errors import StorageUnavailable
from service.storage.database import Database


@asynccontextmanager
async def one_batch(db: Database, writes: int) -> AsyncIterator[None]:
    """Holds a write open; leaving the block waits until `writes` more are queued
    behind it, then lets it go: they all share its transaction and its commit."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        # It writes nothing, so it only fails when its whole batch is lost: the
        # tests look at the writes queued behind it.
        with contextlib.suppress(StorageUnavailable):
            async with db.write():
                entered.set()
                await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()
    try:
        yield
        async with asyncio.timeout(10):
            while db.waiting_writes < writes:  # noqa: ASYNC110  # a count, not an event
                await asyncio.sleep(0.001)
    finally:
        release.set()
        await holder
