"""SQL for precomputed related-article lists."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Set
from dataclasses import dataclass

import msgspec

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


# An article in a list and its score there.
Match = tuple[int, float]


# A list keeps its best MAX_STORED public articles, and the scheduled ones that
# rank among them: a scheduled article takes no public article's place, and is
# ready to be shown the moment it goes public (reads skip it until then).
def keep_best(matches: list[Match], scheduled: Set[int], limit: int = MAX_STORED) -> list[Match]:
    """`matches` (best first) cut after the `limit`-th that is not scheduled."""
    kept: list[Match] = []
    public = 0
    for match in matches:
        if public == limit:
            break
        kept.append(match)
        public += match[0] not in scheduled
    return kept


async def scheduled_articles(q: Queryable, now: str) -> set[int]:
    rows = await q.fetch_all(
        "SELECT id FROM articles WHERE status = 'published' AND published_at > :now",
        {"now": now},
    )
    return {int(row[0]) for row in rows}


async def replace_related(
    tx: Transaction, article_id: int, matches: list[Match], scheduled: set[int]
) -> None:
    """`matches` best first; see keep_best."""
    await tx.execute("DELETE FROM related_articles WHERE article_id = :id", {"id": article_id})
    await tx.execute_many(
        "INSERT INTO related_articles (article_id, related_id, score) VALUES (?, ?, ?)",
        [(article_id, rid, score) for rid, score in keep_best(matches, scheduled)],
    )


# The model's tables (migrations 0003 and 0005): document frequencies, and for
# each article its terms, length, vectors and postings of their strongest terms.


@dataclass(frozen=True)
class StoredDocument:
    terms: list[str]
    length: float
    self_score: float
    query: dict[str, float]
    document: dict[str, float]


_VECTOR = msgspec.msgpack.Decoder(dict[str, float])
_TERMS = msgspec.json.Decoder(list[str])

# Candidates: the postings of the probe's strongest terms, summed per article.
# Common words (a document frequency over :longest) are skipped: their
# postings are the longest and tell the least about closeness.
_CANDIDATES = """
SELECT p.article_id AS article_id, sum(p.weight * q.value) AS partial
FROM json_each(:probe) AS q
JOIN related_terms AS t ON t.term = q.key AND t.df <= :longest
JOIN {table} AS p ON p.term = q.key
WHERE p.article_id <> :id
GROUP BY p.article_id
ORDER BY partial DESC, p.article_id ASC
LIMIT :limit
"""
_TABLES = {"query": "related_query_postings", "document": "related_document_postings"}


async def candidates(
    q: Queryable, side: str, probe: dict[str, float], article_id: int, longest: int, limit: int
) -> list[tuple[int, float]]:
    """Articles whose `side` postings best match `probe`, with that partial score, best first."""
    rows = await q.fetch_all(
        _CANDIDATES.format(table=_TABLES[side]),
        {"probe": json.dumps(probe), "id": article_id, "longest": longest, "limit": limit},
    )
    return [(int(row["article_id"]), float(row["partial"])) for row in rows]


async def stored_documents(q: Queryable, article_ids: list[int]) -> dict[int, StoredDocument]:
    rows = await q.fetch_all(
        "SELECT d.article_id AS article_id, d.terms AS terms, d.length AS length, "
        "d.self_score AS self_score, d.query AS query, d.document AS document "
        "FROM json_each(:ids) AS j JOIN related_documents AS d ON d.article_id = j.value",
        {"ids": json.dumps(article_ids)},
    )
    return {
        int(row["article_id"]): StoredDocument(
            terms=_TERMS.decode(row["terms"]),
            length=float(row["length"]),
            self_score=float(row["self_score"]),
            query=_VECTOR.decode(row["query"]),
            document=_VECTOR.decode(row["document"]),
        )
        for row in rows
    }


async def stored_vectors(
    q: Queryable, side: str, article_ids: list[int]
) -> dict[int, tuple[dict[str, float], float]]:
    """One side's vector of each article, with the article's self-score."""
    column = "query" if side == "query" else "document"
    rows = await q.fetch_all(
        f"SELECT d.article_id AS article_id, d.self_score AS self_score, d.{column} AS vector "
        "FROM json_each(:ids) AS j JOIN related_documents AS d ON d.article_id = j.value",
        {"ids": json.dumps(article_ids)},
    )
    return {
        int(row["article_id"]): (_VECTOR.decode(row["vector"]), float(row["self_score"]))
        for row in rows
    }


async def corpus_size(q: Queryable) -> tuple[int, float]:
    """How many articles are indexed, and their summed length."""
    row = await q.fetch_one("SELECT documents, length FROM related_corpus WHERE id = 1")
    return (int(row["documents"]), float(row["length"])) if row else (0, 0.0)


async def _count_in_corpus(tx: Transaction, documents: int, length: float) -> None:
    await tx.execute(
        "UPDATE related_corpus SET documents = documents + :documents, length = length + :length "
        "WHERE id = 1",
        {"documents": documents, "length": length},
    )


async def document_frequencies(q: Queryable, terms: list[str]) -> dict[str, int]:
    rows = await q.fetch_all(
        "SELECT t.term AS term, t.df AS df FROM json_each(:terms) AS j "
        "JOIN related_terms AS t ON t.term = j.value",
        {"terms": json.dumps(terms)},
    )
    return {row["term"]: int(row["df"]) for row in rows}


def _document_row(article_id: int, doc: StoredDocument) -> tuple[object, ...]:
    return (
        article_id,
        json.dumps(doc.terms),
        doc.length,
        doc.self_score,
        msgspec.msgpack.encode(doc.query),
        msgspec.msgpack.encode(doc.document),
    )


_INSERT_DOCUMENT = (
    "INSERT INTO related_documents (article_id, terms, length, self_score, query, document) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


async def add_document(
    tx: Transaction,
    article_id: int,
    doc: StoredDocument,
    postings: dict[str, dict[str, float]],
) -> None:
    """Store an article's model; `postings` maps each side to its strongest terms."""
    await tx.execute(
        "INSERT INTO related_terms (term, df) SELECT value, 1 FROM json_each(:terms) "
        "WHERE true ON CONFLICT (term) DO UPDATE SET df = df + 1",
        {"terms": json.dumps(doc.terms)},
    )
    await tx.execute(_INSERT_DOCUMENT, _document_row(article_id, doc))
    await _count_in_corpus(tx, 1, doc.length)
    for side, terms in postings.items():
        await tx.execute_many(
            f"INSERT INTO {_TABLES[side]} (term, article_id, weight) VALUES (?, ?, ?)",
            [(term, article_id, weight) for term, weight in terms.items()],
        )


async def remove_document(
    tx: Transaction, article_id: int, doc: StoredDocument, postings: dict[str, list[str]]
) -> None:
    """Undo add_document; `postings` names each side's posted terms."""
    await tx.execute(
        "UPDATE related_terms SET df = df - 1 WHERE term IN (SELECT value FROM json_each(:terms))",
        {"terms": json.dumps(doc.terms)},
    )
    await tx.execute(
        "DELETE FROM related_terms WHERE term IN (SELECT value FROM json_each(:terms)) AND df <= 0",
        {"terms": json.dumps(doc.terms)},
    )
    for side, terms in postings.items():
        await tx.execute(
            f"DELETE FROM {_TABLES[side]} WHERE article_id = :id "
            "AND term IN (SELECT value FROM json_each(:terms))",
            {"id": article_id, "terms": json.dumps(terms)},
        )
    await tx.execute("DELETE FROM related_documents WHERE article_id = :id", {"id": article_id})
    await _count_in_corpus(tx, -1, -doc.length)


async def lists_containing(q: Queryable, article_id: int) -> list[int]:
    rows = await q.fetch_all(
        "SELECT article_id FROM related_articles WHERE related_id = :id ORDER BY article_id",
        {"id": article_id},
    )
    return [int(row["article_id"]) for row in rows]


async def clear_model(tx: Transaction) -> None:
    for table in (
        "related_articles",
        "related_query_postings",
        "related_document_postings",
        "related_documents",
        "related_terms",
    ):
        await tx.execute(f"DELETE FROM {table}")  # table names are ours, not input
    await tx.execute("UPDATE related_corpus SET documents = 0, length = 0.0 WHERE id = 1")


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
    documents: list[tuple[int, StoredDocument, dict[str, dict[str, float]]]],
) -> None:
    """Bulk-load a freshly computed model (after clear_model)."""
    await tx.execute_many(
        "INSERT INTO related_terms (term, df) VALUES (?, ?)", list(frequencies.items())
    )
    await tx.execute_many(_INSERT_DOCUMENT, [_document_row(key, doc) for key, doc, _ in documents])
    await _count_in_corpus(tx, len(documents), sum(doc.length for _, doc, _ in documents))
    for side, table in _TABLES.items():
        # Sorted by term: the table's own order, so the B-tree is appended to.
        rows = sorted(
            (term, key, weight)
            for key, _, postings in documents
            for term, weight in postings[side].items()
        )
        await tx.execute_many(
            f"INSERT INTO {table} (term, article_id, weight) VALUES (?, ?, ?)", rows
        )


async def remove_from_list(tx: Transaction, owner: int, article_id: int) -> None:
    await tx.execute(
        "DELETE FROM related_articles WHERE article_id = :owner AND related_id = :id",
        {"owner": owner, "id": article_id},
    )


async def existing_articles(q: Queryable, article_ids: list[int]) -> set[int]:
    rows = await q.fetch_all(
        "SELECT a.id FROM json_each(:ids) AS j JOIN articles AS a ON a.id = j.value",
        {"ids": json.dumps(article_ids)},
    )
    return {int(row[0]) for row in rows}


async def remove_from_lists(tx: Transaction, article_id: int) -> None:
    await tx.execute("DELETE FROM related_articles WHERE related_id = :id", {"id": article_id})


async def load_lists(tx: Transaction, lists: dict[int, list[Match]], scheduled: set[int]) -> None:
    await tx.execute_many(
        "INSERT INTO related_articles (article_id, related_id, score) VALUES (?, ?, ?)",
        [
            (owner, related_id, score)
            for owner, matches in lists.items()
            for related_id, score in keep_best(matches, scheduled)
        ],
    )


# keep_best in SQL: an entry goes once :keep public ones rank above it.
_TRIM = """
DELETE FROM related_articles WHERE (article_id, related_id) IN (
    SELECT article_id, related_id FROM (
        SELECT r.article_id, r.related_id, count(*) FILTER (WHERE a.published_at <= :now) OVER (
            PARTITION BY r.article_id ORDER BY r.score DESC, r.related_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS public_above
        FROM related_articles AS r JOIN articles AS a ON a.id = r.related_id
        WHERE r.article_id IN (SELECT value FROM json_each(:owners)))
    WHERE public_above >= :keep)
"""


# An offer is written only to lists it can enter: not yet holding :keep public
# articles, or whose last public score it reaches (a tie at the cut is settled
# by the trim's id order).
_OFFER = """
WITH offered (owner, score) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:offers))
INSERT INTO related_articles (article_id, related_id, score)
SELECT owner, :id, score FROM offered
WHERE score >= coalesce((
    SELECT min(score) FROM (
        SELECT r.score FROM related_articles AS r JOIN articles AS a ON a.id = r.related_id
        WHERE r.article_id = offered.owner AND a.published_at <= :now
        ORDER BY r.score DESC LIMIT :keep)
    HAVING count(*) >= :keep), 0)
ON CONFLICT (article_id, related_id) DO UPDATE SET score = excluded.score
"""


async def offer(tx: Transaction, article_id: int, matches: list[Match], now: str) -> None:
    """Put `article_id` into each list it ranks in, then trim each list as keep_best does."""
    await tx.execute(
        _OFFER, {"offers": json.dumps(matches), "id": article_id, "keep": MAX_STORED, "now": now}
    )
    owners = json.dumps([owner for owner, _ in matches])
    await tx.execute(_TRIM, {"owners": owners, "keep": MAX_STORED, "now": now})
