"""SQL for precomputed related-article lists."""

from __future__ import annotations

import json
import sqlite3

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
        # CROSS JOIN keeps the article's own list as the driving table.
        f"SELECT r.score AS score, {SUMMARY_COLUMNS} FROM related_articles r "
        "CROSS JOIN articles a ON a.id = r.related_id JOIN authors au ON au.id = a.author_id "
        f"WHERE r.article_id = :id AND {PUBLIC_FILTER} "
        "ORDER BY r.score DESC, r.related_id LIMIT :limit",
        {"id": article_id, "limit": limit, "now": now},
    )
    return [(summary_from_row(row), float(row["score"])) for row in rows]


async def replace_related(tx: Transaction, article_id: int, items: list[tuple[int, float]]) -> None:
    await tx.execute("DELETE FROM related_articles WHERE article_id = :id", {"id": article_id})
    await tx.execute_many(
        "INSERT INTO related_articles (article_id, related_id, score) VALUES (?, ?, ?)",
        [(article_id, rid, score) for rid, score in items[:MAX_STORED]],
    )


# The model's tables (migration 0003): document frequencies, term sets, vectors.

# Candidates come from the query's strongest terms only: their posting lists are
# short (strong terms are rare ones), so the walk stays cheap as articles grow.
# The candidates' exact scores are then summed over the whole query vector with
# one primary-key lookup per (candidate, term).
_CANDIDATES = """
SELECT v.article_id AS article_id
FROM json_each(:vector) AS q
JOIN related_vectors AS v INDEXED BY related_vectors_by_term ON v.term = q.key
WHERE v.article_id <> :id
GROUP BY v.article_id
ORDER BY sum(v.weight * q.value) DESC, v.article_id ASC
LIMIT :limit
"""
_EXACT_SCORES = """
SELECT c.value AS article_id, round(sum(v.weight * q.value), 4) AS score
FROM json_each(:vector) AS q
CROSS JOIN json_each(:ids) AS c
CROSS JOIN related_vectors AS v
WHERE v.article_id = c.value AND v.term = q.key
GROUP BY c.value
"""
QUERY_TERMS = 30


async def best_matches(
    q: Queryable, article_id: int, vector: dict[str, float], limit: int
) -> list[tuple[int, float]]:
    """The articles whose vectors score highest against `vector`, best first."""
    strongest = dict(sorted(vector.items(), key=lambda item: (-item[1], item[0]))[:QUERY_TERMS])
    rows = await q.fetch_all(
        _CANDIDATES,
        {"vector": json.dumps(strongest), "id": article_id, "limit": limit + 20},
    )
    if not rows:
        return []
    scored = await q.fetch_all(
        _EXACT_SCORES,
        {"ids": json.dumps([row["article_id"] for row in rows]), "vector": json.dumps(vector)},
    )
    ranked = sorted(
        ((int(row["article_id"]), float(row["score"])) for row in scored if row["score"] > 0),
        key=lambda match: (-match[1], match[0]),
    )
    return ranked[:limit]


async def indexed_terms(q: Queryable, article_id: int) -> list[str] | None:
    row = await q.fetch_one(
        "SELECT terms FROM related_documents WHERE article_id = :id", {"id": article_id}
    )
    return None if row is None else list(json.loads(row["terms"]))


async def document_count(q: Queryable) -> int:
    row = await q.fetch_one("SELECT count(*) AS n FROM related_documents")
    return int(row["n"]) if row else 0


async def document_frequencies(q: Queryable, terms: list[str]) -> dict[str, int]:
    rows = await q.fetch_all(
        "SELECT t.term AS term, t.df AS df FROM json_each(:terms) AS j "
        "JOIN related_terms AS t ON t.term = j.value",
        {"terms": json.dumps(terms)},
    )
    return {row["term"]: int(row["df"]) for row in rows}


async def add_document(
    tx: Transaction, article_id: int, terms: list[str], vector: dict[str, float]
) -> None:
    await tx.execute(
        "INSERT INTO related_terms (term, df) SELECT value, 1 FROM json_each(:terms) "
        "WHERE true ON CONFLICT (term) DO UPDATE SET df = df + 1",
        {"terms": json.dumps(terms)},
    )
    await tx.execute(
        "INSERT INTO related_documents (article_id, terms) VALUES (:id, :terms)",
        {"id": article_id, "terms": json.dumps(terms)},
    )
    await tx.execute(
        "INSERT INTO related_vectors (article_id, term, weight) "
        "SELECT :id, key, value FROM json_each(:vector)",
        {"id": article_id, "vector": json.dumps(vector)},
    )


async def remove_document(tx: Transaction, article_id: int, terms: list[str]) -> None:
    await tx.execute(
        "UPDATE related_terms SET df = df - 1 WHERE term IN (SELECT value FROM json_each(:terms))",
        {"terms": json.dumps(terms)},
    )
    await tx.execute("DELETE FROM related_terms WHERE df <= 0")
    await tx.execute("DELETE FROM related_vectors WHERE article_id = :id", {"id": article_id})
    await tx.execute("DELETE FROM related_documents WHERE article_id = :id", {"id": article_id})


async def stored_vector(q: Queryable, article_id: int) -> dict[str, float]:
    rows = await q.fetch_all(
        "SELECT term, weight FROM related_vectors WHERE article_id = :id", {"id": article_id}
    )
    return {row["term"]: float(row["weight"]) for row in rows}


async def lists_containing(q: Queryable, article_id: int) -> list[int]:
    rows = await q.fetch_all(
        "SELECT article_id FROM related_articles WHERE related_id = :id ORDER BY article_id",
        {"id": article_id},
    )
    return [int(row["article_id"]) for row in rows]


async def clear_model(tx: Transaction) -> None:
    for table in ("related_articles", "related_vectors", "related_documents", "related_terms"):
        await tx.execute(f"DELETE FROM {table}")  # table names are ours, not input


async def indexable_articles(q: Queryable) -> list[sqlite3.Row]:
    """Every article that may be recommended: published (scheduled ones included)."""
    return await q.fetch_all(
        "SELECT a.id AS id, a.title AS title, a.body_markdown AS body, "
        "(SELECT json_group_array(tag) FROM article_tags t WHERE t.article_id = a.id) AS tags "
        "FROM articles a WHERE a.status = 'published' ORDER BY a.id"
    )


async def indexable_article(q: Queryable, article_id: int) -> sqlite3.Row | None:
    return await q.fetch_one(
        "SELECT a.id AS id, a.title AS title, a.body_markdown AS body, "
        "(SELECT json_group_array(tag) FROM article_tags t WHERE t.article_id = a.id) AS tags "
        "FROM articles a WHERE a.id = :id AND a.status = 'published'",
        {"id": article_id},
    )


async def load_model(
    tx: Transaction,
    frequencies: dict[str, int],
    documents: list[tuple[int, list[str], dict[str, float]]],
) -> None:
    """Bulk-load a freshly computed model (after clear_model)."""
    await tx.execute_many(
        "INSERT INTO related_terms (term, df) VALUES (?, ?)", list(frequencies.items())
    )
    await tx.execute_many(
        "INSERT INTO related_documents (article_id, terms) VALUES (?, ?)",
        [(key, json.dumps(terms)) for key, terms, _ in documents],
    )
    await tx.execute_many(
        "INSERT INTO related_vectors (article_id, term, weight) VALUES (?, ?, ?)",
        [(key, term, weight) for key, _, vector in documents for term, weight in vector.items()],
    )


async def remove_from_lists(tx: Transaction, article_id: int) -> None:
    await tx.execute("DELETE FROM related_articles WHERE related_id = :id", {"id": article_id})


async def load_lists(tx: Transaction, lists: dict[int, list[tuple[int, float]]]) -> None:
    await tx.execute_many(
        "INSERT INTO related_articles (article_id, related_id, score) VALUES (?, ?, ?)",
        [
            (owner, related_id, score)
            for owner, matches in lists.items()
            for related_id, score in matches[:MAX_STORED]
        ],
    )


_TRIM = """
DELETE FROM related_articles WHERE (article_id, related_id) IN (
    SELECT article_id, related_id FROM (
        SELECT article_id, related_id, row_number() OVER (
            PARTITION BY article_id ORDER BY score DESC, related_id) AS place
        FROM related_articles
        WHERE article_id IN (SELECT value FROM json_each(:owners)))
    WHERE place > :keep)
"""


async def offer(tx: Transaction, article_id: int, matches: list[tuple[int, float]]) -> None:
    """Put `article_id` into each matching list, then keep each list's best MAX_STORED."""
    await tx.execute_many(
        "INSERT INTO related_articles (article_id, related_id, score) VALUES (?, ?, ?) "
        "ON CONFLICT (article_id, related_id) DO UPDATE SET score = excluded.score",
        [(owner, article_id, score) for owner, score in matches],
    )
    await tx.execute(
        _TRIM, {"owners": json.dumps([owner for owner, _ in matches]), "keep": MAX_STORED}
    )
