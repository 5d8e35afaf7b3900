"""What a comment request may carry, and how each field is cleaned (API.md "Details")."""

from __future__ import annotations

import re
from typing import Any

from service import fields
from service.validation import Spec, optional_string, string, then

NAME_MAX = 80
BODY_MAX = 10_000
_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")


def is_public_id(value: str) -> bool:
    return _PUBLIC_ID.match(value) is not None


def _clean_parent(value: Any) -> str | None:
    if value is None:
        return None
    text = string(value).strip()
    if not is_public_id(text):
        raise ValueError("is not a comment of this article")
    return text


def _clean_trap(value: Any) -> str | None:
    text = optional_string(value)
    return text[:1000] if text else None


_name = then(string, lambda v: fields.clean_line(v, max_length=NAME_MAX, name_rules=True))
_body = then(string, lambda v: fields.clean_text(v, max_length=BODY_MAX))
_website = then(optional_string, fields.clean_optional_url)

NEW_COMMENT = Spec(
    rules={
        "name": _name,
        "email": then(string, fields.normalize_email),
        "body": _body,
        "website": _website,
        "parent_id": _clean_parent,
        "trap": _clean_trap,
    },
    required=frozenset({"name", "email", "body"}),
    defaults={"website": None, "parent_id": None, "trap": None},
)

COMMENT_EDIT = Spec(rules={"body": _body, "name": _name, "website": _website})
