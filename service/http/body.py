"""Reading a JSON request body strictly.

Litestar accepts text/plain JSON, keeps the last of duplicate keys and crashes on
deep nesting; this reader refuses all three before any field is looked at.
"""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

from service.errors import FieldError, InvalidInput
from service.validation import Spec, collect


class UnsupportedMediaType(ClientException):
    status_code = 415


# No request of ours nests deeper than a few levels; 32 leaves room for any client.
MAX_DEPTH = 32
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# An opening directly followed by a closing: one innermost level. One `sub` pass
# removes exactly one level (it does not rescan what its own removals join).
_PAIR = re.compile(rb"[\[{][\]}]")


def _openings_exceed(raw: bytes, limit: int) -> bool:
    """More than `limit` of `[` and `{` in all? At most limit+1 memchr-speed finds.

    (bytes.count walks every byte in Python's own loop: several times slower.)
    """
    seen = 0
    for opening in (b"[", b"{"):
        at = raw.find(opening)
        while at != -1:
            seen += 1
            if seen > limit:
                return True
            at = raw.find(opening, at + 1)
    return False


def _outside_strings(raw: bytes) -> bytes:
    """The body with the contents of its JSON strings cut out (C-speed replaces).

    Escaped backslashes go first, then escaped quotes; every quote left opens or
    closes a string, so the even pieces between quotes are what lies outside.
    """
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(raw.split(b'"')[::2])


def nesting_exceeds(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `raw` nests arrays/objects deeper than `limit` (brackets in strings ignored).

    Nearly every real body has few brackets and is cleared by `_openings_exceed`.
    Otherwise only the brackets outside strings are kept, and innermost pairs are
    removed a level per pass (kinds ignored: `[}` is malformed, but still a level):
    a structure `limit` deep is gone after `limit` passes. Every step is a C-speed
    bytes or regex operation; the worst 64 KiB body costs a few milliseconds.
    """
    if not _openings_exceed(raw, limit):
        return False
    brackets = _outside_strings(raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        shorter = _PAIR.sub(b"", brackets)
        if len(shorter) == len(brackets):
            # No opening is followed by a closing any more: what is left is closings,
            # then openings. A decoder would descend through those openings.
            return len(brackets.lstrip(b"]}")) > limit
        if not shorter:
            return False
        brackets = shorter
    return True


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidInput([FieldError(key, "appears more than once")], "duplicate key")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_object(raw: bytes) -> dict[str, Any]:
    """Bytes to a dict, or InvalidInput for anything that is not a strict JSON object."""
    if nesting_exceeds(raw):
        # Refused before decoding: json.loads recurses, and deep input must not
        # depend on the interpreter's recursion limit.
        raise InvalidInput([], "the body is nested too deeply")
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant
        )
    except UnicodeDecodeError:
        raise InvalidInput([], "the body is not valid UTF-8") from None
    except RecursionError:
        raise InvalidInput([], "the body is nested too deeply") from None
    except ValueError:
        raise InvalidInput([], "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInput([], "the body must be a JSON object")
    _refuse_lone_surrogates(value)
    return value


def _refuse_lone_surrogates(value: dict[str, Any]) -> None:
    """`"\\ud800"` is valid JSON but not Unicode: it cannot be stored as UTF-8.

    json.loads turns an unpaired surrogate escape into a str that fails only when
    SQLite encodes it, far from here, as a 500. Walk keys and strings once, without
    recursion (the nesting was already bounded by the decoder).
    """
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings = [item]
        elif isinstance(item, dict):
            strings = list(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for text in strings:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput([], "the body contains an unpaired surrogate") from None


def is_json_media_type(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def require_json(request: Request[Any, Any, Any]) -> None:
    if not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType(detail="Content-Type must be application/json")


async def read_body(request: Request[Any, Any, Any], spec: Spec) -> dict[str, Any]:
    require_json(request)
    return collect(decode_object(await request.body()), spec)
