"""The public thread: approved comments, flat, in thread order.

A page is a run of top-level comments, each followed by its replies depth-first,
replies oldest first. Two indexed queries, whatever the article's size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from service.cursors import make_cursor, read_cursor
from service.errors import FieldError, InvalidInput
from service.keys import Keys
from service.storage import comments as store
from service.storage.articles import ArticleRow
from service.storage.comments import PublicCommentRow
from service.storage.database import Database


@dataclass(frozen=True)
class ThreadPage:
    """Rows in thread order, each with its parent's public id."""

    items: list[tuple[PublicCommentRow, str | None]]
    next_cursor: str | None
    total: int


def thread_order(
    roots: list[PublicCommentRow], replies: list[PublicCommentRow]
) -> list[tuple[PublicCommentRow, str | None]]:
    children: dict[int, list[PublicCommentRow]] = defaultdict(list)
    for reply in replies:  # already oldest first
        if reply.parent_id is not None:
            children[reply.parent_id].append(reply)
    public_ids = {row.id: row.public_id for row in (*roots, *replies)}
    ordered: list[tuple[PublicCommentRow, str | None]] = []
    stack = list(reversed(roots))
    while stack:
        row = stack.pop()
        parent = public_ids.get(row.parent_id) if row.parent_id is not None else None
        ordered.append((row, parent))
        stack.extend(reversed(children.get(row.id, [])))
    return ordered


def _kind(article_id: int, sort: str) -> str:
    return f"comments.{article_id}.{sort}"


def thread_position(
    keys: Keys, article_id: int, sort: str, cursor: str | None
) -> tuple[str, int] | None:
    """Where a page of the thread starts (None: at the beginning), or InvalidInput
    for a cursor that is not one this list gave out. Cheap (a keyed hash): the list
    endpoints check it before anything else, a conditional request included."""
    if cursor is None:
        return None
    position = read_cursor(keys, _kind(article_id, sort), cursor)
    if len(position) != 2 or not isinstance(position[1], int):
        raise InvalidInput([FieldError("cursor", "is not a valid cursor for this list")])
    return (str(position[0]), position[1])


async def list_thread(
    db: Database, keys: Keys, article: ArticleRow, *, sort: str, limit: int, cursor: str | None
) -> ThreadPage:
    kind = _kind(article.id, sort)
    after = thread_position(keys, article.id, sort, cursor)
    async with db.read() as snapshot:
        roots = await store.list_roots(
            snapshot, article.id, newest_first=sort == "newest", limit=limit + 1, after=after
        )
        next_cursor = None
        if len(roots) > limit:
            roots = roots[:limit]
            next_cursor = make_cursor(keys, kind, [roots[-1].created_at, roots[-1].id])
        replies = await store.list_replies(snapshot, [root.id for root in roots])
    return ThreadPage(
        items=thread_order(roots, replies), next_cursor=next_cursor, total=article.comment_count
    )
