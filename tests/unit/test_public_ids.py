"""Public comment ids: opaque to clients, clustered for the database."""

from __future__ import annotations

from service.comments.fields import is_public_id
from service.comments.posting import new_public_id


def test_ids_are_sixteen_url_safe_characters_and_never_repeat() -> None:
    ids = [new_public_id() for _ in range(10_000)]
    assert all(is_public_id(public_id) for public_id in ids)
    assert len(set(ids)) == len(ids)


def test_ids_drawn_together_share_their_time_prefix() -> None:
    # What keeps a batch's inserts on a few index pages: the first 5 characters
    # carry the time's high bits and change every 2**18 ms (~4.4 minutes).
    first, second = new_public_id(), new_public_id()
    assert first[:5] == second[:5]
    assert first[8:] != second[8:]  # the random tail differs
