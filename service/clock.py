"""Time as Byline stores and shows it: RFC 3339 UTC text with whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("must include a time zone")
    if moment.tzinfo is UTC:
        return _utc_text(moment)
    # Not remembered: in a zone with transitions, two equal datetimes (fold 0 and 1)
    # can be different instants.
    return moment.astimezone(UTC).strftime(FORMAT)


@lru_cache(maxsize=256)
def _utc_text(moment: datetime) -> str:
    # Remembered: strftime costs ~4 µs, and the writes of a busy second format the
    # same few moments again and again (utc_now and parse_time give UTC datetimes,
    # which are equal exactly when they are the same instant).
    return moment.strftime(FORMAT)


def parse_time(text: str) -> datetime:
    """Parse RFC 3339 ("2026-11-26T15:04:05Z" or with an offset); naive times are refused."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("must be an RFC 3339 time with a time zone")
    return moment.astimezone(UTC).replace(microsecond=0)


def now_text() -> str:
    return format_time(utc_now())
