"""Keeping the public thread and comment_count exact after any change to a comment.

Only the changed comment can start or stop being shown; its ancestors can only
move between tombstone and hidden, so the walk goes upwards and the approved
count changes by the changed comment alone. All of it runs in the caller's
transaction, so concurrent moderators cannot make the count drift.
"""

from __future__ import annotations

from service.storage.database import Transaction

_REFRESH = """
UPDATE comments SET visibility = CASE
    WHEN status = 'approved' AND removed = 0 THEN 'shown'
    WHEN EXISTS (SELECT 1 FROM comments AS child INDEXED BY comments_children
                 WHERE child.parent_id = comments.id AND child.visibility <> 'hidden')
        THEN 'tombstone'
    ELSE 'hidden' END
WHERE id = :id
RETURNING parent_id, visibility
"""


async def refresh_visibility(
    tx: Transaction, comment_id: int, article_id: int, *, before: str | None = None
) -> None:
    """Recompute visibility from the comment up to its thread's root, then the count.

    `before` is the comment's visibility before the change, if the caller has it.
    """
    if before is None:
        row = await tx.fetch_one(
            "SELECT visibility FROM comments WHERE id = :id", {"id": comment_id}
        )
        before = row["visibility"] if row is not None else None
    was_shown = before == "shown"
    now_shown = False
    current: int | None = comment_id
    first = True
    while current is not None:
        row = await tx.fetch_one(_REFRESH, {"id": current})
        if row is None:
            break
        if first:
            now_shown, first = row["visibility"] == "shown", False
        current = row["parent_id"]
    delta = int(now_shown) - int(was_shown)
    await tx.execute(
        "UPDATE articles SET comment_count = comment_count + :delta, version = version + 1 "
        "WHERE id = :id",
        {"delta": delta, "id": article_id},
    )
    if delta:
        await tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'content_version'")
