"""Clean-up cut-offs: spam purged after 30 days, stale pending only surfaced."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from moderation.housekeeping import (
    DEFAULT_PENDING_MAX_AGE,
    DEFAULT_SPAM_MAX_AGE,
    spam_purge_cutoff,
    stale_pending_cutoff,
)

Cutoff = Callable[[datetime, timedelta], datetime]
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_defaults_are_pinned() -> None:
    assert timedelta(days=30) == DEFAULT_SPAM_MAX_AGE
    assert timedelta(days=7) == DEFAULT_PENDING_MAX_AGE


def test_spam_purge_cutoff_defaults_to_thirty_days_ago() -> None:
    assert spam_purge_cutoff(NOW) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_stale_pending_cutoff_defaults_to_a_week_ago() -> None:
    assert stale_pending_cutoff(NOW) == datetime(2026, 3, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("max_age", "expected"),
    [
        (timedelta(seconds=1), datetime(2026, 3, 31, 11, 59, 59, tzinfo=UTC)),
        (timedelta(hours=36), datetime(2026, 3, 30, 0, 0, tzinfo=UTC)),
        (timedelta(days=365), datetime(2025, 3, 31, 12, 0, tzinfo=UTC)),
    ],
)
def test_cutoffs_use_the_configured_age(max_age: timedelta, expected: datetime) -> None:
    assert spam_purge_cutoff(NOW, max_age) == expected
    assert stale_pending_cutoff(NOW, max_age) == expected


def test_other_time_zones_give_the_same_instant() -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=2)))
    assert spam_purge_cutoff(paris) == spam_purge_cutoff(NOW)


@pytest.mark.parametrize("cutoff", [spam_purge_cutoff, stale_pending_cutoff])
def test_naive_now_is_refused(cutoff: Cutoff) -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        cutoff(datetime(2026, 3, 31, 12, 0), timedelta(days=1))


@pytest.mark.parametrize("max_age", [timedelta(0), timedelta(days=-1)])
@pytest.mark.parametrize("cutoff", [spam_purge_cutoff, stale_pending_cutoff])
def test_non_positive_ages_are_refused(cutoff: Cutoff, max_age: timedelta) -> None:
    with pytest.raises(ValueError, match="max_age must be positive"):
        cutoff(NOW, max_age)
