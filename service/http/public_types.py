"""Wire types the public sees. None of them has an e-mail field, by construction:
a public response cannot serialise an address because no type here can hold one.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

Timestamp = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]


class AuthorRef(Struct, kw_only=True):
    slug: str
    name: str


class AuthorProfile(Struct, kw_only=True):
    slug: str
    name: str
    bio: str
    bio_html: str
    avatar_url: str | None
    website: str | None


class ArticleSummary(Struct, kw_only=True):
    slug: str
    title: str
    excerpt: str
    author: AuthorRef
    tags: list[str]
    published_at: Timestamp
    comment_count: int


class RelatedArticle(ArticleSummary, kw_only=True):
    score: float


class ArticleList(Struct, kw_only=True):
    items: list[ArticleSummary]
    next_cursor: str | None


class RelatedList(Struct, kw_only=True):
    items: list[RelatedArticle]


class CommentAuthor(Struct, kw_only=True):
    name: str
    website: str | None
    avatar_key: str


class PublicComment(Struct, kw_only=True):
    id: str
    parent_id: str | None
    depth: int
    author: CommentAuthor | None
    body_html: str | None
    created_at: Timestamp
    edited_at: Timestamp | None
    removed: bool = False


class CommentList(Struct, kw_only=True):
    items: list[PublicComment]
    next_cursor: str | None
    total: int


class PublicArticle(Struct, kw_only=True):
    slug: str
    title: str
    excerpt: str
    body_html: str
    author: AuthorProfile
    tags: list[str]
    published_at: Timestamp
    updated_at: Timestamp
    comments_open: bool
    comment_count: int
    related: RelatedList | UnsetType = UNSET
    comments: CommentList | UnsetType = UNSET


class CommentCounts(Struct, kw_only=True):
    counts: dict[str, int]


class CommentReceipt(Struct, kw_only=True):
    """The answer to a commenter about their own comment."""

    comment: PublicComment
    status: str
    edit_token: str | UnsetType = UNSET
    edit_expires_at: Timestamp | UnsetType = UNSET


encode = msgspec.json.Encoder().encode
