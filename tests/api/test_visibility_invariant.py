"""Visibility and the approved count stay exact under any run of decisions.

A comment is shown when approved; a tombstone when it is not but has a visible
reply below it; else hidden. The article's count is the number shown. A decision
refreshes the decided comment and walks its ancestors
(service/storage/visibility.py); this test drives seeded random runs of decisions
over reply trees and recomputes both from scratch after every one.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from moderation.states import Action
from service.comments.moderating import moderate
from service.errors import Conflict
from tests.api.comment_fixtures import Site, open_site, set_status


def expected_visibility(site: Site) -> dict[int, str]:
    rows = site.query("SELECT id, parent_id, status FROM comments WHERE removed = 0")
    children: dict[int | None, list[int]] = {}
    for comment_id, parent_id, _ in rows:
        children.setdefault(parent_id, []).append(comment_id)
    status = {comment_id: value for comment_id, _, value in rows}
    visibility: dict[int, str] = {}

    def settle(comment_id: int) -> bool:
        below = [settle(child) for child in children.get(comment_id, [])]
        if status[comment_id] == "approved":
            visibility[comment_id] = "shown"
        elif any(below):
            visibility[comment_id] = "tombstone"
        else:
            visibility[comment_id] = "hidden"
        return visibility[comment_id] != "hidden"

    for root in children.get(None, []):
        settle(root)
    return visibility


async def reply_tree(site: Site, rng: random.Random, size: int) -> list[str]:
    """Comments in a random tree; each reply was posted under an approved comment."""
    ids: list[str] = []
    for n in range(size):
        parent = rng.choice(ids) if ids and rng.random() < 0.7 else None
        if parent is not None:
            await set_status(site.db_path, parent, "approved")  # replies need one
        fields = {"body": f"Comment {n}.", "email": f"r{n}@example.org"}
        receipt = (
            await site.posted(parent_id=parent, **fields) if parent else await site.posted(**fields)
        )
        ids.append(receipt["comment"]["id"])
    return ids


@pytest.mark.parametrize("seed", range(4))
async def test_any_run_of_decisions_keeps_visibility_and_the_count_exact(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    async with open_site(tmp_path) as site:
        ids = await reply_tree(site, rng, size=10)
        decided = 0
        for _ in range(60):
            action = rng.choice(list(Action))
            try:
                await moderate(site.db, rng.choice(ids), action, actor="t", note=None, version=None)
            except Conflict:
                continue  # a transition the state machine refuses
            decided += 1
            expected = expected_visibility(site)
            stored = dict(site.query("SELECT id, visibility FROM comments WHERE removed = 0"))
            assert stored == expected
            shown = sum(1 for value in expected.values() if value == "shown")
            assert (
                site.query("SELECT comment_count FROM articles WHERE slug = 'post'")[0][0] == shown
            )
        assert decided > 20
