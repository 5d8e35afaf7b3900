"""SQL for comments on the public path and for posting.

The public queries name their columns and none of them reads `email`.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

import msgspec

from service.storage.database import Queryable, Transaction
from service.storage.owner import OwnCommentRow

_PUBLIC_COLUMNS = (
    "id, public_id, parent_id, thread_id, depth, visibility, name, website, avatar_key, "
    "body_html, created_at, edited_at"
)


@dataclass(frozen=True, slots=True)
class PublicCommentRow:
    id: int
    public_id: str
    parent_id: int | None
    thread_id: int
    depth: int
    visibility: str
    name: str | None
    website: str | None
    avatar_key: str | None
    body_html: str | None
    created_at: str
    edited_at: str | None


def _public(row: sqlite3.Row) -> PublicCommentRow:
    return PublicCommentRow(*row)


async def list_roots(
    q: Queryable, article_id: int, *, newest_first: bool, limit: int, after: tuple[str, int] | None
) -> list[PublicCommentRow]:
    order = "DESC" if newest_first else "ASC"
    compare = "<" if newest_first else ">"
    where = "article_id = :article AND parent_id IS NULL AND visibility <> 'hidden'"
    params: dict[str, object] = {"article": article_id, "limit": limit}
    if after is not None:
        where += f" AND (created_at, id) {compare} (:after_at, :after_id)"
        params["after_at"], params["after_id"] = after
    rows = await q.fetch_all(
        f"SELECT {_PUBLIC_COLUMNS} FROM comments INDEXED BY comments_public_roots "
        f"WHERE {where} ORDER BY created_at {order}, id {order} LIMIT :limit",
        params,
    )
    return [_public(row) for row in rows]


async def list_replies(q: Queryable, thread_ids: list[int]) -> list[PublicCommentRow]:
    if not thread_ids:
        return []
    marks = ", ".join("?" for _ in thread_ids)
    rows = await q.fetch_all(
        f"SELECT {_PUBLIC_COLUMNS} FROM comments INDEXED BY comments_public_replies "
        f"WHERE thread_id IN ({marks}) AND parent_id IS NOT NULL AND visibility <> 'hidden' "
        "ORDER BY created_at, id",
        tuple(thread_ids),
    )
    return [_public(row) for row in rows]


async def get_public_comment(q: Queryable, public_id: str) -> PublicCommentRow | None:
    row = await q.fetch_one(
        f"SELECT {_PUBLIC_COLUMNS} FROM comments WHERE public_id = :id", {"id": public_id}
    )
    return _public(row) if row else None


async def count_shown(q: Queryable, slugs: list[str], now: str) -> dict[str, int]:
    marks = ", ".join(f":s{i}" for i in range(len(slugs)))
    params: dict[str, object] = {f"s{i}": slug for i, slug in enumerate(slugs)}
    params["now"] = now
    rows = await q.fetch_all(
        f"SELECT slug, comment_count FROM articles WHERE slug IN ({marks}) "
        # `+status`: let the slug index drive, not the index of every published article.
        "AND +status = 'published' AND published_at <= :now",
        params,
    )
    return {row["slug"]: int(row["comment_count"]) for row in rows}


@dataclass(frozen=True, slots=True)
class ParentRow:
    id: int
    article_id: int
    thread_id: int
    depth: int
    status: str
    removed: bool


async def get_parent(q: Queryable, public_id: str) -> ParentRow | None:
    row = await q.fetch_one(
        "SELECT id, article_id, thread_id, depth, status, removed FROM comments "
        "WHERE public_id = :id",
        {"id": public_id},
    )
    if row is None:
        return None
    return ParentRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


@dataclass(frozen=True, slots=True)
class NewComment:
    """A new comment's own content, settled before the write."""

    status: str
    name: str
    email: str
    website: str | None
    body: str
    body_html: str
    email_key: str
    avatar_key: str
    client_key: str
    body_fingerprint: str
    flags: str
    edit_token_hash: str
    edit_expires_at: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a new comment goes, settled inside the write (the article may close,
    the parent may be removed meanwhile)."""

    public_id: str
    article_id: int
    parent_id: int | None
    parent_public_id: str | None
    thread_id: int | None
    depth: int


async def insert_comment(tx: Transaction, new: NewComment, place: Placement) -> OwnCommentRow:
    """Stores a new comment and returns it as stored, for the commenter's receipt."""
    values = {name: getattr(new, name) for name in NewComment.__slots__}
    values.update(
        public_id=place.public_id,
        article_id=place.article_id,
        parent_id=place.parent_id,
        thread_id=place.thread_id,
        depth=place.depth,
    )
    row = await tx.fetch_one(
        "INSERT INTO comments (public_id, article_id, parent_id, thread_id, depth, status, "
        "name, email, website, body, body_html, email_key, avatar_key, client_key, "
        "body_fingerprint, flags, edit_token_hash, edit_expires_at, created_at) VALUES "
        "(:public_id, :article_id, :parent_id, "
        # A top-level comment is its own thread; under the write lock the new
        # rowid is max(id) + 1, so the thread id is known without a second statement.
        "coalesce(:thread_id, (SELECT coalesce(max(id), 0) + 1 FROM comments)), :depth, :status, "
        ":name, :email, :website, :body, :body_html, :email_key, :avatar_key, :client_key, "
        ":body_fingerprint, :flags, :edit_token_hash, :edit_expires_at, :created_at) "
        # The receipt is read from the statement that wrote it, not by a second query.
        "RETURNING id, public_id, article_id, depth, status, removed, name, website, "
        "avatar_key, body, body_html, edit_token_hash, edit_expires_at, created_at, "
        "edited_at, version",
        values,
    )
    assert row is not None  # an INSERT that did not raise returned its row
    (comment_id, public_id, article_id, depth, status, removed, *rest) = row
    return OwnCommentRow(
        comment_id, public_id, article_id, place.parent_public_id, depth, status, bool(removed),
        *rest,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostingFacts:
    seconds_since_last_by_email: float | None
    seconds_since_last_by_client: float | None
    recent_count_by_email: int
    recent_count_by_client: int
    oldest_recent_by_email: float | None
    oldest_recent_by_client: float | None
    duplicate: bool


_RATE_FACTS = """
    (SELECT json_group_array(t) FROM (
        SELECT unixepoch(created_at) AS t FROM comments INDEXED BY comments_by_email_key
        WHERE email_key = :email_key AND created_at >= :since
        ORDER BY created_at DESC LIMIT :rows)) AS by_email,
    (SELECT json_group_array(t) FROM (
        SELECT unixepoch(created_at) AS t FROM comments INDEXED BY comments_by_client_key
        WHERE client_key = :client_key AND created_at >= :since
        ORDER BY created_at DESC LIMIT :rows)) AS by_client"""
_DUPLICATE_FACT = """
    EXISTS (SELECT 1 FROM comments INDEXED BY comments_by_fingerprint
            WHERE body_fingerprint = :fingerprint AND created_at >= :duplicate_since
            AND (email_key = :email_key OR client_key = :client_key)) AS duplicate"""
# One statement per set of rules switched on; with none, nothing is read.
_FACTS = {
    (True, True): f"SELECT {_RATE_FACTS}, {_DUPLICATE_FACT}",
    (True, False): f"SELECT {_RATE_FACTS}, 0 AS duplicate",
    (False, True): f"SELECT '[]' AS by_email, '[]' AS by_client, {_DUPLICATE_FACT}",
}
_NOTHING_RECENT = PostingFacts(None, None, 0, 0, None, None, False)


async def posting_facts(
    q: Queryable,
    *,
    email_key: str,
    client_key: str,
    fingerprint: str,
    now_epoch: float,
    lookback_seconds: int,
    rate_window: int,
    rows: int,
    duplicate_window: int,
) -> PostingFacts:
    """What the rules need to know about recent posts, in one bounded statement.

    Only the newest `rows` posts per address and per client are read: enough to
    know the last post, whether the rate limit is reached and when it frees up,
    however many comments one client has posted. `rows` 0 reads no recent
    posts (no rate rule is on); `duplicate_window` 0 looks for no duplicate.
    """
    sql = _FACTS.get((rows > 0, duplicate_window > 0))
    if sql is None:
        return _NOTHING_RECENT
    row = await q.fetch_one(
        sql,
        {
            "email_key": email_key,
            "client_key": client_key,
            "fingerprint": fingerprint,
            "since": _stamp(now_epoch - max(lookback_seconds, 1)),
            "duplicate_since": _stamp(now_epoch - duplicate_window),
            "rows": rows,
        },
    )
    assert row is not None
    by_email = [now_epoch - t for t in _decode_times(row["by_email"])]
    by_client = [now_epoch - t for t in _decode_times(row["by_client"])]
    in_window_email = [age for age in by_email if age <= rate_window]
    in_window_client = [age for age in by_client if age <= rate_window]
    return PostingFacts(
        seconds_since_last_by_email=by_email[0] if by_email else None,
        seconds_since_last_by_client=by_client[0] if by_client else None,
        recent_count_by_email=len(in_window_email),
        recent_count_by_client=len(in_window_client),
        oldest_recent_by_email=in_window_email[-1] if in_window_email else None,
        oldest_recent_by_client=in_window_client[-1] if in_window_client else None,
        duplicate=bool(row["duplicate"]),
    )


_decode_times = msgspec.json.Decoder(list[float]).decode


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
