"""The posting rules hold between comments that share one group-commit batch.

Both posts pass the first look outside the transaction (neither is stored yet);
inside the batch the second sees the first's uncommitted row and is refused.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.api.comment_fixtures import open_site
from tests.batching import one_batch


@pytest.mark.parametrize(
    ("limits", "second", "refused"),
    [
        ({"duplicate_window_seconds": 3600}, {}, 409),
        ({"post_min_interval_seconds": 15}, {"body": "Another thought."}, 429),
        ({"post_rate_limit": 1}, {"body": "Another thought."}, 429),
    ],
    ids=["duplicate", "flood", "rate-limit"],
)
async def test_the_second_of_two_posts_in_one_batch_is_refused(
    tmp_path: Path, limits: dict[str, int], second: dict[str, Any], refused: int
) -> None:
    async with open_site(tmp_path, **limits) as site:
        async with one_batch(site.db, writes=2):
            first_post = asyncio.create_task(site.post(body="The same thought."))
            second_post = asyncio.create_task(site.post(**({"body": "The same thought."} | second)))
        first, later = await first_post, await second_post
        assert first.status_code == 202, first.text
        assert later.status_code == refused, later.text
        assert site.count() == 1
        assert (
            site.count("audit_log")
            == 1 + site.query("SELECT count(*) FROM audit_log WHERE action <> 'submit'")[0][0]
        )
