"""Opaque, signed pagination cursors.

A cursor carries the sort key of the last item of a page, so new items never make
a later page repeat or skip one. It is signed, so a client cannot forge a position,
and names its list, so one list's cursor is refused by another.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec

from service.errors import FieldError, InvalidInput
from service.keys import Keys

_encode = msgspec.json.encode
_decode = msgspec.json.decode


def make_cursor(keys: Keys, kind: str, position: list[Any]) -> str:
    payload = _encode([kind, *position])
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{keys.sign(payload)}"


def read_cursor(keys: Keys, kind: str, cursor: str) -> list[Any]:
    bad = InvalidInput([FieldError("cursor", "is not a valid cursor for this list")])
    body, _, signature = cursor.partition(".")
    if not body or not signature or len(cursor) > 512:
        raise bad
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    if not keys.verify(payload, signature):
        raise bad
    try:
        value = _decode(payload)
    except msgspec.DecodeError:
        raise bad from None
    if not isinstance(value, list) or not value or value[0] != kind:
        raise bad
    return value[1:]
