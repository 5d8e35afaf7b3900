"""SQL for a commenter's own comment (by edit token) and for erasing comments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from service.storage.database import Queryable, Transaction
from service.storage.visibility import refresh_visibility


@dataclass(frozen=True, slots=True)
class OwnCommentRow:
    id: int
    public_id: str
    article_id: int
    parent_public_id: str | None
    depth: int
    status: str
    removed: bool
    name: str | None
    website: str | None
    avatar_key: str | None
    body: str | None
    body_html: str | None
    edit_token_hash: str | None
    edit_expires_at: str | None
    created_at: str
    edited_at: str | None
    version: int


async def get_own_comment(q: Queryable, public_id: str) -> OwnCommentRow | None:
    # No e-mail here either: the commenter already knows their address.
    row = await q.fetch_one(
        "SELECT c.id, c.public_id, c.article_id, p.public_id, c.depth, c.status, c.removed, "
        "c.name, c.website, c.avatar_key, c.body, c.body_html, c.edit_token_hash, "
        "c.edit_expires_at, c.created_at, c.edited_at, c.version "
        "FROM comments c LEFT JOIN comments p ON p.id = c.parent_id WHERE c.public_id = :id",
        {"id": public_id},
    )
    if row is None:
        return None
    values = list(row)
    values[6] = bool(values[6])
    return OwnCommentRow(*values)


async def get_rule_inputs_kept(tx: Transaction, comment_id: int) -> tuple[str, list[Any]]:
    """What an edit leaves alone but the content rules read: the address (for
    the rules only, never for an answer) and the stored flags."""
    row = await tx.fetch_one("SELECT email, flags FROM comments WHERE id = :id", {"id": comment_id})
    assert row is not None  # the caller found it in this transaction
    return row["email"] or "", json.loads(row["flags"])


async def update_own_comment(
    tx: Transaction,
    comment_id: int,
    *,
    name: str,
    website: str | None,
    body: str,
    body_html: str,
    status: str,
    flags: str,
    now: str,
) -> None:
    await tx.execute(
        "UPDATE comments SET name = :name, website = :website, body = :body, "
        "body_html = :body_html, status = :status, flags = :flags, edited_at = :now, "
        "version = version + 1 WHERE id = :id",
        {
            "id": comment_id,
            "name": name,
            "website": website,
            "body": body,
            "body_html": body_html,
            "status": status,
            "flags": flags,
            "now": now,
        },
    )


async def erase_comment(tx: Transaction, comment_id: int, article_id: int) -> bool:
    """Erase content, name, e-mail and website. Returns True if a tombstone row stays.

    The row stays (removed, contentless) only while replies hang under it; the
    thread then shows a tombstone if any of them is approved.
    """
    await tx.execute(
        "UPDATE comments SET removed = 1, name = NULL, email = NULL, website = NULL, "
        "body = NULL, body_html = NULL, email_key = NULL, avatar_key = NULL, "
        "body_fingerprint = NULL, edit_token_hash = NULL, flags = '[]', "
        "version = version + 1 WHERE id = :id",
        {"id": comment_id},
    )
    await refresh_visibility(tx, comment_id, article_id)
    child = await tx.fetch_one(
        "SELECT 1 FROM comments INDEXED BY comments_children WHERE parent_id = :id LIMIT 1",
        {"id": comment_id},
    )
    if child is None:
        await tx.execute("DELETE FROM comments WHERE id = :id", {"id": comment_id})
        return False
    return True
