"""Signed pagination cursors: opaque, tamper-evident, tied to one list."""

from __future__ import annotations

import base64

import pytest

from service.cursors import make_cursor, read_cursor
from service.errors import InvalidInput
from service.keys import Keys

KEYS = Keys(b"k" * 32)


def refused(cursor: str, kind: str = "articles", keys: Keys = KEYS) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_cursor(keys, kind, cursor)
    return caught.value


@pytest.mark.parametrize(
    "position",
    [["2026-01-01T00:00:00Z", 7], ["é ünïcode", 0], [None, -1, 2.5, True], []],
)
def test_round_trip(position: list[object]) -> None:
    cursor = make_cursor(KEYS, "articles", position)
    assert read_cursor(KEYS, "articles", cursor) == position


def test_a_cursor_is_url_safe_and_opaque() -> None:
    cursor = make_cursor(KEYS, "articles", ["2026-01-01T00:00:00Z", 7])
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "2026" not in cursor


def test_a_cursor_for_another_list_is_refused() -> None:
    cursor = make_cursor(KEYS, "comments.1.oldest", ["t", 1])
    refused(cursor, kind="articles")
    refused(cursor, kind="comments.2.oldest")
    assert read_cursor(KEYS, "comments.1.oldest", cursor) == ["t", 1]


def test_a_cursor_signed_by_another_installation_is_refused() -> None:
    cursor = make_cursor(Keys(b"other" * 8), "articles", ["t", 1])
    refused(cursor)


def test_an_altered_position_is_refused() -> None:
    cursor = make_cursor(KEYS, "articles", ["2026-01-01T00:00:00Z", 7])
    _, _, signature = cursor.partition(".")
    forged = base64.urlsafe_b64encode(b'["articles","2026-01-01T00:00:00Z",8]').decode().rstrip("=")
    refused(f"{forged}.{signature}")


def test_every_altered_character_is_refused() -> None:
    cursor = make_cursor(KEYS, "articles", ["2026-01-01T00:00:00Z", 7])
    for index, char in enumerate(cursor):
        if char == ".":
            continue
        replacement = "A" if char != "A" else "B"
        altered = cursor[:index] + replacement + cursor[index + 1 :]
        if altered != cursor:
            refused(altered)


@pytest.mark.parametrize(
    "cursor",
    ["", ".", "abc", "abc.", ".abc", "!!!.???", "a" * 600 + ".b", "\x00.\x00", "é.é"],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    refused(cursor)


def test_the_error_names_the_cursor_field() -> None:
    error = refused("nonsense")
    assert [(e.field, e.message) for e in error.errors] == [
        ("cursor", "is not a valid cursor for this list")
    ]


def test_a_signed_payload_that_is_not_a_position_is_refused() -> None:
    """Defence in depth: even a validly signed non-list is refused, not crashed on."""
    for payload in [b'{"kind": "articles"}', b"[]", b"not json", b'"articles"']:
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        refused(f"{body}.{KEYS.sign(payload)}")
