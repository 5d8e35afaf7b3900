"""Time as Byline stores and shows it: RFC 3339 UTC text with whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("must include a time zone")
    if moment.tzinfo is UTC:
        return _utc_text(moment)
    # Not remembered: in a zone with transitions, two equal datetimes (fold 0 and 1)
    # can be different instants.
    return _text(moment.astimezone(UTC))


def _text(moment: datetime) -> str:
    # isoformat, not strftime("%Y"): that writes the year 999 as "999", which is not
    # RFC 3339 and sorts after "2026" in the text comparisons of the queries.
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# Remembered: formatting costs a few µs, and the writes of a busy second format the
# same few moments again and again (utc_now and parse_time give UTC datetimes,
# which are equal exactly when they are the same instant).
_utc_text = lru_cache(maxsize=256)(_text)


def parse_time(text: str) -> datetime:
    """Parse RFC 3339 ("2026-11-26T15:04:05Z" or with an offset); naive times are refused."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("must be an RFC 3339 time with a time zone")
    try:
        return moment.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is a moment before the year 1
        raise ValueError("is outside the years 1 to 9999 in UTC") from None


def now_text() -> str:
    return format_time(utc_now())
