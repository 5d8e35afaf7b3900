"""Wire types for moderators (role `moderator`; privacy requests `admin`).

These carry the commenter's e-mail address, so they live apart from
public_types.py and only moderation routes return them. Conversions from rows
are explicit, field by field.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from service.comments.moderating import QueueStats
from service.http.public_types import Timestamp
from service.storage.audit import AuditRow
from service.storage.moderation import ModerationRow


class ArticleRef(Struct, kw_only=True):
    slug: str
    title: str


class ModerationAuthor(Struct, kw_only=True):
    name: str | None
    email: str | None
    website: str | None


class Flag(Struct, kw_only=True):
    rule: str
    detail: str


class ModerationComment(Struct, kw_only=True):
    id: str
    article: ArticleRef
    parent_id: str | None
    status: str
    author: ModerationAuthor
    body: str | None
    body_html: str | None
    created_at: Timestamp
    edited_at: Timestamp | None
    flags: list[Flag]
    version: int


class QueueSummary(Struct, kw_only=True):
    """Extension to API.md: the queue's size per status and how old its oldest item is."""

    pending: int
    approved: int
    rejected: int
    spam: int
    oldest_pending_at: Timestamp | None
    oldest_pending_age_seconds: int | None
    stale_pending: int
    stale_pending_days: int


class ModerationList(Struct, kw_only=True):
    items: list[ModerationComment]
    next_cursor: str | None
    queue: QueueSummary


class AuditEntry(Struct, kw_only=True):
    at: Timestamp
    actor: str
    comment_id: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


class AuditList(Struct, kw_only=True):
    items: list[AuditEntry]
    next_cursor: str | None


class BulkResult(Struct, kw_only=True):
    id: str
    status: str | None
    error: dict[str, Any] | None


class BulkResults(Struct, kw_only=True):
    results: list[BulkResult]


class PrivacyExport(Struct, kw_only=True):
    email: str
    comments: list[ModerationComment]


class PrivacyErased(Struct, kw_only=True):
    erased: int


class Purged(Struct, kw_only=True):
    purged: int


# Request bodies, for the OpenAPI document (handlers validate with http/body.py).


class DecisionBody(Struct, kw_only=True, forbid_unknown_fields=True):
    note: str | None = None
    version: int | None = None


class BulkBody(Struct, kw_only=True, forbid_unknown_fields=True):
    action: str
    ids: list[str]
    note: str | None = None


class EmailBody(Struct, kw_only=True, forbid_unknown_fields=True):
    email: str


def moderation_comment(row: ModerationRow) -> ModerationComment:
    return ModerationComment(
        id=row.public_id,
        article=ArticleRef(slug=row.article_slug, title=row.article_title),
        parent_id=row.parent_public_id,
        status=row.status,
        author=ModerationAuthor(name=row.name, email=row.email, website=row.website),
        body=row.body,
        body_html=row.body_html,
        created_at=row.created_at,
        edited_at=row.edited_at,
        flags=[Flag(rule=flag.rule, detail=flag.detail) for flag in row.flags],
        version=row.version,
    )


def queue_summary(stats: QueueStats) -> QueueSummary:
    return QueueSummary(
        pending=stats.counts["pending"],
        approved=stats.counts["approved"],
        rejected=stats.counts["rejected"],
        spam=stats.counts["spam"],
        oldest_pending_at=stats.oldest_pending_at,
        oldest_pending_age_seconds=stats.oldest_pending_age_seconds,
        stale_pending=stats.stale_pending,
        stale_pending_days=stats.stale_pending_days,
    )


def audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        comment_id=row.comment_id,
        action=row.action,
        from_status=row.from_status,
        to_status=row.to_status,
        note=row.note,
    )
