"""SQL for the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from service.clock import now_text
from service.storage.database import Queryable, Transaction


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: str
    actor: str
    comment_id: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


async def add_audit_entry(
    tx: Transaction,
    *,
    actor: str,
    comment_id: str,
    action: str,
    from_status: str | None,
    to_status: str | None,
    note: str | None,
    at: str | None = None,
) -> None:
    """`at` defaults to now; a caller that has just read the clock passes its reading."""
    await tx.execute(
        "INSERT INTO audit_log (at, actor, comment_id, action, from_status, to_status, note) "
        "VALUES (:at, :actor, :comment_id, :action, :from_status, :to_status, :note)",
        {
            "at": at or now_text(),
            "actor": actor,
            "comment_id": comment_id,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "note": note,
        },
    )


async def list_audit(
    q: Queryable, *, comment_id: str | None, limit: int, before_id: int | None
) -> list[AuditRow]:
    """Newest first, keyed by id so pages never repeat or skip."""
    where = ["1 = 1"]
    params: dict[str, object] = {"limit": limit}
    if comment_id is not None:
        where.append("comment_id = :comment_id")
        params["comment_id"] = comment_id
    if before_id is not None:
        where.append("id < :before_id")
        params["before_id"] = before_id
    rows = await q.fetch_all(
        "SELECT id, at, actor, comment_id, action, from_status, to_status, note FROM audit_log "
        f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT :limit",
        params,
    )
    return [AuditRow(*row) for row in rows]
