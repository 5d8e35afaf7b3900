"""The flood facts are read only for the rules switched on."""

from __future__ import annotations

import asyncio
from typing import Any

from service.storage.comments import posting_facts


class _NoReads:
    """A Queryable that fails the test if anything is read through it."""

    async def fetch_one(self, sql: str, params: Any = ()) -> Any:
        raise AssertionError(f"read with every rule off: {sql}")

    async def fetch_all(self, sql: str, params: Any = ()) -> Any:
        raise AssertionError(f"read with every rule off: {sql}")


def test_with_every_flood_and_duplicate_rule_off_nothing_is_read() -> None:
    facts = asyncio.run(
        posting_facts(
            _NoReads(),  # type: ignore[arg-type]
            email_key="e",
            client_key="c",
            fingerprint="f",
            now_epoch=1.8e9,
            lookback_seconds=600,
            rate_window=600,
            rows=0,
            duplicate_window=0,
        )
    )
    assert facts.recent_count_by_email == facts.recent_count_by_client == 0
    assert facts.seconds_since_last_by_email is None
    assert facts.seconds_since_last_by_client is None
    assert not facts.duplicate
