"""Stored time text: RFC 3339 UTC, whole seconds, whatever zone a moment comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.clock import format_time, parse_time

_ZONES = st.one_of(
    st.just(UTC),
    st.integers(min_value=-23 * 60, max_value=23 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"]).map(ZoneInfo),
)


_MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=_ZONES,
    allow_imaginary=False,
)


@given(st.lists(_MOMENTS, min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_every_moment_is_written_as_its_utc_time_even_when_asked_again(
    moments: list[datetime],
) -> None:
    for moment in moments + moments:  # the second pass is answered from memory
        utc = moment.astimezone(UTC)
        assert format_time(moment) == (
            f"{utc.year:04}-{utc.month:02}-{utc.day:02}"
            f"T{utc.hour:02}:{utc.minute:02}:{utc.second:02}Z"
        )


@given(_MOMENTS, _MOMENTS)
@settings(max_examples=300, deadline=None)
def test_texts_sort_as_their_moments(first: datetime, second: datetime) -> None:
    # The queries compare stored times as text ("published_at <= :now").
    first, second = first.replace(microsecond=0), second.replace(microsecond=0)
    # Compared in UTC: an ambiguous local time never equals one of another zone (PEP 495).
    first_utc, second_utc = first.astimezone(UTC), second.astimezone(UTC)
    assert (format_time(first) < format_time(second)) == (first_utc < second_utc)
    assert parse_time(format_time(first)) == first_utc


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_outside_the_years_1_to_9999_in_utc_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="years 1 to 9999"):
        parse_time(text)


def test_one_instant_in_two_zones_is_one_text() -> None:
    noon = datetime(2026, 11, 27, 12, 0, 5, tzinfo=UTC)
    east = noon.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert format_time(east) == format_time(noon) == "2026-11-27T12:00:05Z"
    assert parse_time(format_time(east)) == noon


def test_a_time_without_a_zone_is_refused_every_time() -> None:
    naive = datetime(2026, 11, 27, 12, 0, 5)
    for _ in range(2):
        with pytest.raises(ValueError, match="time zone"):
            format_time(naive)


def test_the_two_readings_of_an_ambiguous_local_time_are_two_instants() -> None:
    # 01:30 happens twice in New York on 2026-11-01; the datetimes compare equal.
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"), fold=0)
    second = first.replace(fold=1)
    assert first == second
    assert format_time(first) == "2026-11-01T05:30:00Z"
    assert format_time(second) == "2026-11-01T06:30:00Z"
