"""Field-by-field validation of a decoded JSON object (or import front matter).

A rule takes the raw value and returns the clean one or raises ValueError with a
message. `collect` runs every rule and reports every bad field at once, unknown
and missing fields included, so a client fixes a form in one round trip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from service.errors import FieldError, InvalidInput

Rule = Callable[[Any], Any]


@dataclass(frozen=True)
class Spec:
    """The fields a request may carry: rules, which are required, defaults for the rest."""

    rules: Mapping[str, Rule]
    required: frozenset[str] = frozenset()
    defaults: Mapping[str, Any] | None = None


_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _unknown(key: str) -> FieldError:
    # An unknown key is echoed only if it looks like a field name: a client may
    # have sent anything as a key, an e-mail address included (API.md, "The e-mail rule").
    if _FIELD_NAME.match(key):
        return FieldError(key, "is not a known field")
    return FieldError("(unknown)", "a key that is not a field name was sent")


def collect(raw: Mapping[str, Any], spec: Spec) -> dict[str, Any]:
    errors = [_unknown(str(key)) for key in raw if key not in spec.rules]
    clean: dict[str, Any] = dict(spec.defaults or {})
    for name, rule in spec.rules.items():
        if name not in raw:
            if name in spec.required:
                errors.append(FieldError(name, "is required"))
            continue
        try:
            clean[name] = rule(raw[name])
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if errors:
        raise InvalidInput(errors)
    return clean


# Type checks shared by the rules; bool is refused where a number is expected.


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def optional_string(value: Any) -> str | None:
    return None if value is None else string(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    return int(value)


def string_list(value: Any, *, max_items: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of strings")
    if len(value) > max_items:
        raise ValueError(f"must have at most {max_items} items")
    return value


def then(*steps: Rule) -> Rule:
    """Chain rules: the type check first, then the cleaning."""

    def rule(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return rule
