"""Cut-off times for the periodic clean-up; the service runs the deletes.

The decision:

- Spam is purged (deleted for good) once it has been spam for longer than a
  configurable age, 30 days by default, counted from when it became spam
  (its arrival, or the moderator's action), so every false positive gets the
  full month to be rescued. Keeping it longer only keeps strangers' junk and
  whatever addresses came with it.
- Pending comments are never expired automatically. Those older than a
  configurable age (7 days by default) are surfaced instead: the queue
  reports its size and its oldest age, and the service can list pending
  comments older than the cut-off. Expiring them would silently throw away
  readers' words because nobody got round to reading them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

DEFAULT_SPAM_MAX_AGE: Final = timedelta(days=30)
DEFAULT_PENDING_MAX_AGE: Final = timedelta(days=7)


def spam_purge_cutoff(now: datetime, max_age: timedelta = DEFAULT_SPAM_MAX_AGE) -> datetime:
    """Comments that became spam before the returned time are to be purged."""
    return _cutoff(now, max_age)


def stale_pending_cutoff(now: datetime, max_age: timedelta = DEFAULT_PENDING_MAX_AGE) -> datetime:
    """Pending comments created before the returned time are overdue for a look."""
    return _cutoff(now, max_age)


def _cutoff(now: datetime, max_age: timedelta) -> datetime:
    # Naive times compare wrongly with stored UTC ones, and a zero or negative
    # age would purge spam that arrived a moment ago.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if max_age <= timedelta(0):
        raise ValueError("max_age must be positive")
    return now - max_age
