"""SQL for precomputed related-article lists."""

from __future__ import annotations

from service.storage.articles import (
    PUBLIC_FILTER,
    SUMMARY_COLUMNS,
    ArticleSummaryRow,
    summary_from_row,
)
from service.storage.database import Queryable, Transaction

MAX_STORED = 10


async def list_related(
    q: Queryable, article_id: int, limit: int, now: str
) -> list[tuple[ArticleSummaryRow, float]]:
    """Best first; drafts and scheduled articles are skipped even if a list still names them."""
    rows = await q.fetch_all(
        f"SELECT r.score AS score, {SUMMARY_COLUMNS} FROM related_articles r "
        "JOIN articles a ON a.id = r.related_id JOIN authors au ON au.id = a.author_id "
        f"WHERE r.article_id = :id AND {PUBLIC_FILTER} ORDER BY r.rank LIMIT :limit",
        {"id": article_id, "limit": limit, "now": now},
    )
    return [(summary_from_row(row), float(row["score"])) for row in rows]


async def replace_related(tx: Transaction, article_id: int, items: list[tuple[int, float]]) -> None:
    await tx.execute("DELETE FROM related_articles WHERE article_id = :id", {"id": article_id})
    await tx.execute_many(
        "INSERT INTO related_articles (article_id, rank, related_id, score) VALUES (?, ?, ?, ?)",
        [(article_id, rank, rid, score) for rank, (rid, score) in enumerate(items[:MAX_STORED], 1)],
    )
