"""Reading a JSON request body strictly.

Litestar accepts text/plain JSON, keeps the last of duplicate keys and crashes on
deep nesting; this reader refuses all three before any field is looked at.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

from service.errors import FieldError, InvalidInput
from service.validation import Spec, collect


class UnsupportedMediaType(ClientException):
    status_code = 415


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


def require_json(request: Request[Any, Any, Any]) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(detail="Content-Type must be application/json")


async def read_body(request: Request[Any, Any, Any], spec: Spec) -> dict[str, Any]:
    require_json(request)
    return collect(decode_object(await request.body()), spec)


async def read_optional_body(request: Request[Any, Any, Any], spec: Spec) -> dict[str, Any]:
    """For routes whose body may be left out entirely (e.g. moderation actions)."""
    raw = await request.body()
    if not raw.strip():
        return collect({}, spec)
    require_json(request)
    return collect(decode_object(raw), spec)
