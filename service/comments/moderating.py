"""Moderators at work: decisions, bulk decisions, erasure, privacy requests, the purge.

Every change runs in one write transaction with the conditional update, the
visibility refresh (public thread and `comment_count`) and the audit entry, so
a change and its trail are never apart and concurrent moderators cannot make
the count drift: of fifty identical approvals, one changes the row and writes
one audit entry; the rest find the comment approved and answer a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from moderation.housekeeping import spam_purge_cutoff, stale_pending_cutoff
from moderation.states import Action, Status, TransitionNotAllowed, decide
from service.clock import format_time, now_text, parse_time, utc_now
from service.comments.fields import is_public_id
from service.config import Settings
from service.errors import BylineError, Conflict, NotFound
from service.fields import Email
from service.keys import Keys
from service.storage import moderation as store
from service.storage.audit import add_audit_entry
from service.storage.database import Database, Queryable, Transaction
from service.storage.owner import erase_comment
from service.storage.visibility import refresh_visibility

# Who decides: a name, or a check that finds the name inside the write itself
# (service.auth.CheckInWrite.holder) and may refuse before anything is written.
# Like a write job, the check awaits nothing but the transaction it is given.
Actor = str | Callable[[Transaction], Coroutine[Any, Any, str]]


@dataclass(frozen=True)
class Outcome:
    """One id of a bulk request: the comment as it now stands, or why not."""

    public_id: str
    row: store.ModerationRow | None
    error: BylineError | None


async def find(q: Queryable, public_id: str) -> store.ModerationRow:
    """The comment, or NotFound for unknown, erased and malformed ids alike."""
    row = await store.get_comment(q, public_id) if is_public_id(public_id) else None
    if row is None:
        raise NotFound("no such comment")
    return row


async def _apply(
    tx: Transaction, public_id: str, action: Action, *, actor: str, note: str | None,
    version: int | None,
) -> store.ModerationRow:  # fmt: skip
    row = await find(tx, public_id)
    if version is not None and version != row.version:
        raise Conflict(f"the comment has changed since version {version}; it is {row.version}")
    try:
        decision = decide(Status(row.status), action)
    except TransitionNotAllowed as exc:
        raise Conflict(str(exc)) from None
    if not decision.changed:
        return row
    visibility = await store.transition(
        tx, row.id, from_status=row.status, to_status=decision.to_status.value,
        version=row.version, now=now_text(),
    )  # fmt: skip
    if visibility is None:  # only possible if another writer slipped in; refuse rather than guess
        raise Conflict("the comment changed while it was being moderated")
    await refresh_visibility(tx, row.id, row.article_id, before=visibility)
    await add_audit_entry(
        tx, actor=actor, comment_id=row.public_id, action=action.value,
        from_status=row.status, to_status=decision.to_status.value, note=note,
    )  # fmt: skip
    # Exactly what the conditional update changed, without reading the row again.
    return replace(row, status=decision.to_status.value, version=row.version + 1)


async def moderate(
    db: Database, public_id: str, action: Action, *, actor: Actor, note: str | None,
    version: int | None,
) -> store.ModerationRow:  # fmt: skip
    async def decide_one(tx: Transaction) -> store.ModerationRow:
        name = actor if isinstance(actor, str) else await actor(tx)
        return await _apply(tx, public_id, action, actor=name, note=note, version=version)

    return await db.write(decide_one)


async def moderate_many(
    db: Database, public_ids: list[str], action: Action, *, actor: str, note: str | None
) -> list[Outcome]:
    """All ids in one transaction, answered in request order, each on its own merits.

    A refused id writes nothing before it is refused, so the others still commit.
    """

    async def decide_each(tx: Transaction) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for public_id in public_ids:
            try:
                row = await _apply(tx, public_id, action, actor=actor, note=note, version=None)
            except (NotFound, Conflict) as exc:
                outcomes.append(Outcome(public_id, None, exc))
            else:
                outcomes.append(Outcome(public_id, row, None))
        return outcomes

    return await db.write(decide_each)


async def _erase(tx: Transaction, row: store.ModerationRow, actor: str, note: str | None) -> None:
    await erase_comment(tx, row.id, row.article_id)
    await add_audit_entry(
        tx, actor=actor, comment_id=row.public_id, action="erase",
        from_status=row.status, to_status=None, note=note,
    )  # fmt: skip


async def erase(db: Database, public_id: str, *, actor: str) -> None:
    async def erase_one(tx: Transaction) -> None:
        await _erase(tx, await find(tx, public_id), actor, None)

    await db.write(erase_one)


async def export_by_email(db: Database, keys: Keys, email: Email) -> list[store.ModerationRow]:
    return await store.list_by_email_key(db, keys.email_key(email.value))


async def erase_by_email(db: Database, keys: Keys, email: Email, *, actor: str) -> int:
    async def erase_all(tx: Transaction) -> int:
        rows = await store.list_by_email_key(tx, keys.email_key(email.value))
        # Newest first: replies go before their parents, so no needless tombstone stays.
        for row in reversed(rows):
            await _erase(tx, row, actor, "privacy request")
        return len(rows)

    return await db.write(erase_all)


async def purge_spam(db: Database, settings: Settings, *, actor: str) -> int:
    """Erase spam that has been spam longer than the retention; 0 days disables the purge."""
    if settings.spam_retention_days < 1:
        return 0
    cutoff = format_time(spam_purge_cutoff(utc_now(), timedelta(days=settings.spam_retention_days)))

    async def purge(tx: Transaction) -> int:
        rows = await store.spam_older_than(tx, cutoff)
        for row in rows:
            await erase_comment(tx, row.id, row.article_id)
            await add_audit_entry(
                tx, actor=actor, comment_id=row.public_id, action="purge",
                from_status=row.status, to_status=None, note="spam retention",
            )  # fmt: skip
        return len(rows)

    return await db.write(purge)


@dataclass(frozen=True)
class QueueStats:
    counts: dict[str, int]
    oldest_pending_at: str | None
    oldest_pending_age_seconds: int | None
    stale_pending: int
    stale_pending_days: int


async def queue_stats(db: Database, settings: Settings) -> QueueStats:
    """Size and age of the queue; stale pending comments are surfaced, never expired."""
    now = utc_now()
    days = max(settings.stale_pending_days, 1)
    before = format_time(stale_pending_cutoff(now, timedelta(days=days)))
    found = await store.queue_stats(db, stale_before=before)
    age = None
    if found.oldest_pending_at is not None:
        age = max(0, int((now - parse_time(found.oldest_pending_at)).total_seconds()))
    return QueueStats(
        counts={status.value: found.counts.get(status.value, 0) for status in Status},
        oldest_pending_at=found.oldest_pending_at,
        oldest_pending_age_seconds=age,
        stale_pending=found.stale_pending,
        stale_pending_days=days,
    )
