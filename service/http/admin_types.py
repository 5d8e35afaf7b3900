"""Wire types for editors (role `editor`): what they send and what they get back."""

from __future__ import annotations

from msgspec import Struct

from service.http.public_types import Timestamp


class AuthorPut(Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    bio: str = ""
    avatar_url: str | None = None
    website: str | None = None


class ArticlePut(Struct, kw_only=True, forbid_unknown_fields=True):
    title: str
    body_markdown: str
    author: str
    tags: list[str] = []
    status: str = "published"
    published_at: Timestamp | None = None
    comments_open: bool = True
    excerpt: str | None = None


class AdminAuthor(Struct, kw_only=True):
    slug: str
    name: str
    bio: str
    bio_html: str
    avatar_url: str | None
    website: str | None
    created_at: Timestamp
    updated_at: Timestamp


class AdminArticle(Struct, kw_only=True):
    slug: str
    title: str
    body_markdown: str
    body_html: str
    excerpt: str
    custom_excerpt: str | None
    author: str
    tags: list[str]
    status: str
    published_at: Timestamp | None
    comments_open: bool
    comment_count: int
    created_at: Timestamp
    updated_at: Timestamp
