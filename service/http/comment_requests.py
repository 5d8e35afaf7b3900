"""What readers send about comments: request bodies, documented in OpenAPI.

Kept apart from public_types.py, whose response types must never hold an address.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType


class NewCommentBody(Struct, kw_only=True, forbid_unknown_fields=True):
    """What a reader sends. The address is never published, anywhere."""

    name: Annotated[str, Meta(min_length=1, max_length=80)]
    email: Annotated[str, Meta(min_length=3, max_length=254, extra_json_schema={"format": "email"})]
    body: Annotated[str, Meta(min_length=1, max_length=10_000)]
    website: str | None = None
    parent_id: str | None = None
    trap: str | None = None


class CommentEditBody(Struct, kw_only=True, forbid_unknown_fields=True):
    body: Annotated[str, Meta(min_length=1, max_length=10_000)] | UnsetType = UNSET
    name: Annotated[str, Meta(min_length=1, max_length=80)] | UnsetType = UNSET
    website: str | UnsetType | None = UNSET
