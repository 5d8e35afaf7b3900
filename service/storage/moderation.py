"""SQL for moderators: the queue, one comment with its address, transitions,
queue statistics, the spam purge and privacy requests by e-mail key.

These are the only queries outside posting that read the `email` column, and
they serve moderator endpoints only. Erased comments (`removed = 1`) are gone
for moderators too: they hold no content left to judge.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from service.storage.database import Queryable, Transaction

_COLUMNS = (
    "c.id, c.public_id, c.article_id, a.slug, a.title, p.public_id, c.status, "
    "c.name, c.email, c.website, c.body, c.body_html, c.created_at, c.edited_at, "
    "c.flags, c.version"
)
_FROM = (
    "FROM comments c JOIN articles a ON a.id = c.article_id "
    "LEFT JOIN comments p ON p.id = c.parent_id"
)


@dataclass(frozen=True, slots=True)
class FlagRow:
    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class ModerationRow:
    id: int
    public_id: str
    article_id: int
    article_slug: str
    article_title: str
    parent_public_id: str | None
    status: str
    name: str | None
    email: str | None
    website: str | None
    body: str | None
    body_html: str | None
    created_at: str
    edited_at: str | None
    flags: list[FlagRow]
    version: int


def _flags(text: str) -> list[FlagRow]:
    try:
        items = json.loads(text)
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [
        FlagRow(rule=str(item.get("rule", "")), detail=str(item.get("detail", "")))
        for item in items
        if isinstance(item, dict)
    ]


def _row(row: sqlite3.Row) -> ModerationRow:
    return ModerationRow(
        id=row[0], public_id=row[1], article_id=row[2], article_slug=row[3],
        article_title=row[4], parent_public_id=row[5], status=row[6], name=row[7],
        email=row[8], website=row[9], body=row[10], body_html=row[11], created_at=row[12],
        edited_at=row[13], flags=_flags(row[14]), version=int(row[15]),
    )  # fmt: skip


async def list_queue(
    q: Queryable, *, status: str, article: str | None, limit: int, after: tuple[str, int] | None
) -> list[ModerationRow]:
    """Oldest first, keyed on (created_at, id) so new arrivals never shift a page."""
    where = "c.status = :status AND c.removed = 0"
    params: dict[str, object] = {"status": status, "limit": limit}
    if article is not None:
        where += " AND a.slug = :article"
        params["article"] = article
    if after is not None:
        where += " AND (c.created_at, c.id) > (:after_at, :after_id)"
        params["after_at"], params["after_id"] = after
    rows = await q.fetch_all(
        f"SELECT {_COLUMNS} {_FROM} WHERE {where} ORDER BY c.created_at, c.id LIMIT :limit",
        params,
    )
    return [_row(row) for row in rows]


async def get_comment(q: Queryable, public_id: str) -> ModerationRow | None:
    row = await q.fetch_one(
        f"SELECT {_COLUMNS} {_FROM} WHERE c.public_id = :id AND c.removed = 0", {"id": public_id}
    )
    return _row(row) if row else None


async def transition(
    tx: Transaction, comment_id: int, *, from_status: str, to_status: str, version: int, now: str
) -> str | None:
    """One conditional update: it changes the row only if nobody changed it first.

    Returns the comment's visibility (which the update leaves alone), or None if
    nothing changed.
    """
    row = await tx.fetch_one(
        "UPDATE comments SET status = :to, moderated_at = :now, version = version + 1 "
        "WHERE id = :id AND status = :from AND version = :version AND removed = 0 "
        "RETURNING visibility",
        {"id": comment_id, "to": to_status, "from": from_status, "version": version, "now": now},
    )
    return None if row is None else str(row[0])


@dataclass(frozen=True, slots=True)
class QueueStatsRow:
    counts: dict[str, int]
    oldest_pending_at: str | None
    stale_pending: int


STALE_COUNT_CAP = 1000


async def queue_stats(q: Queryable, *, stale_before: str) -> QueueStatsRow:
    """Sizes from the trigger-kept counters; oldest and stale from the live-queue index."""
    rows = await q.fetch_all("SELECT status, n FROM comment_status_counts")
    counts = {row["status"]: int(row["n"]) for row in rows}
    oldest = await q.fetch_one(
        "SELECT created_at FROM comments INDEXED BY comments_live_queue "
        "WHERE status = 'pending' AND removed = 0 ORDER BY created_at LIMIT 1"
    )
    # Counted up to a cap: the exact size of a huge backlog costs a scan per request
    # and tells a moderator nothing more than "at least this many".
    stale = await q.fetch_one(
        "SELECT count(*) FROM (SELECT 1 FROM comments INDEXED BY comments_live_queue "
        "WHERE status = 'pending' AND removed = 0 AND created_at < :before LIMIT :cap)",
        {"before": stale_before, "cap": STALE_COUNT_CAP},
    )
    return QueueStatsRow(
        counts=counts,
        oldest_pending_at=oldest["created_at"] if oldest else None,
        stale_pending=int(stale[0]) if stale else 0,
    )


@dataclass(frozen=True, slots=True)
class ErasableRow:
    id: int
    public_id: str
    article_id: int
    status: str


async def spam_older_than(tx: Transaction, cutoff: str) -> list[ErasableRow]:
    """Spam that has been spam since before `cutoff` (its arrival or the moderator's call)."""
    # Named: with `PRAGMA optimize` statistics (a site with little spam) the planner
    # chose to scan every comment in id order, under the write lock. The index holds
    # only live comments by status, so this reads the spam alone, then sorts it.
    rows = await tx.fetch_all(
        "SELECT id, public_id, article_id, status FROM comments INDEXED BY comments_live_queue "
        "WHERE status = 'spam' AND removed = 0 AND coalesce(moderated_at, created_at) < :cutoff "
        "ORDER BY id",
        {"cutoff": cutoff},
    )
    return [ErasableRow(*row) for row in rows]


async def list_by_email_key(q: Queryable, email_key: str) -> list[ModerationRow]:
    rows = await q.fetch_all(
        f"SELECT {_COLUMNS} {_FROM} WHERE c.email_key = :key AND c.removed = 0 "
        "ORDER BY c.created_at, c.id",
        {"key": email_key},
    )
    return [_row(row) for row in rows]
