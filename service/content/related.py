""" "You may also like these": lists computed on write, read with one indexed query.

The relevance model (service/content/relevance.py) turns an article into a
weighted term vector; the vectors and document frequencies live in the
database (migration 0003), so every worker shares them and a publish costs a
few indexed statements:

- the article's own list is its best matches by dot product;
- it is offered to the lists of its best `CANDIDATES` matches, staying in a
  list when it ranks among that list's best;
- every list that held it before is recomputed, so an edit or unpublish never
  leaves a stale entry.

Vectors are weighted with the document frequencies of the moment they were
built; `byline related rebuild` recomputes everything with the current ones.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable

from service.content.relevance import Document, Weights, field_counts, term_vector
from service.storage import related as store
from service.storage.database import Database, Transaction
from service.storage.installation import bump_content_version

LIST_LENGTH = store.MAX_STORED
CANDIDATES = 60
WEIGHTS = Weights()


def _document(row: sqlite3.Row) -> Document:
    return Document(
        key=int(row["id"]),
        title=row["title"],
        body=row["body"],
        tags=tuple(json.loads(row["tags"])),
    )


async def article_changed(tx: Transaction, article_id: int) -> None:
    """Bring every list in step with this article's new state (in the caller's transaction)."""
    old_terms = await store.indexed_terms(tx, article_id)
    if old_terms is not None:
        await store.remove_document(tx, article_id, old_terms)
    holders = await store.lists_containing(tx, article_id)
    row = await store.indexable_article(tx, article_id)
    if row is None:
        await store.replace_related(tx, article_id, [])
    else:
        vector = await _index(tx, _document(row))
        await store.replace_related(
            tx, article_id, await store.best_matches(tx, article_id, vector, LIST_LENGTH)
        )
        candidates = await store.best_matches(tx, article_id, vector, CANDIDATES)
        await store.offer(tx, article_id, [m for m in candidates if m[0] not in holders])
    for holder in holders:
        await _recompute(tx, holder)


async def article_deleted(tx: Transaction, article_id: int) -> None:
    """Called before the article row goes: its vector and its places in lists go too."""
    old_terms = await store.indexed_terms(tx, article_id)
    if old_terms is not None:
        await store.remove_document(tx, article_id, old_terms)
    holders = await store.lists_containing(tx, article_id)
    await store.replace_related(tx, article_id, [])
    await store.remove_from_lists(tx, article_id)
    for holder in holders:
        await _recompute(tx, holder)


async def _index(tx: Transaction, doc: Document) -> dict[str, float]:
    counts = field_counts(doc, WEIGHTS)
    terms = sorted(counts)
    known = await store.document_frequencies(tx, terms)
    frequencies = {term: known.get(term, 0) + 1 for term in terms}
    total = await store.document_count(tx) + 1
    vector = term_vector(counts, frequencies, total, WEIGHTS.terms)
    await store.add_document(tx, doc.key, terms, vector)
    return vector


async def _recompute(tx: Transaction, owner: int) -> None:
    vector = await store.stored_vector(tx, owner)
    matches = await store.best_matches(tx, owner, vector, LIST_LENGTH) if vector else []
    await store.replace_related(tx, owner, matches)


async def rebuild(db: Database, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every vector with today's frequencies, then every list. Returns the count.

    Done in memory with the same method as a publish (candidates from the
    strongest terms, then exact scores), then written in one transaction, so
    readers see the old lists or the new.
    """
    docs = [_document(row) for row in await store.indexable_articles(db)]
    counts = {doc.key: field_counts(doc, WEIGHTS) for doc in docs}
    frequencies: dict[str, int] = {}
    for doc_counts in counts.values():
        for term in doc_counts:
            frequencies[term] = frequencies.get(term, 0) + 1
    vectors = {
        key: term_vector(doc_counts, frequencies, len(docs), WEIGHTS.terms)
        for key, doc_counts in counts.items()
    }
    postings: dict[str, list[tuple[int, float]]] = {}
    for key, vector in vectors.items():
        for term, weight in vector.items():
            postings.setdefault(term, []).append((key, weight))
    lists = {}
    for done, key in enumerate(vectors, start=1):
        lists[key] = _matches_in_memory(key, vectors, postings)
        if progress is not None:
            progress(done, len(vectors))
    async with db.write() as tx:
        await store.clear_model(tx)
        await store.load_model(
            tx, frequencies, [(key, sorted(counts[key]), vectors[key]) for key in vectors]
        )
        await store.load_lists(tx, lists)
        await bump_content_version(tx)
    return len(lists)


def _matches_in_memory(
    key: int, vectors: dict[int, dict[str, float]], postings: dict[str, list[tuple[int, float]]]
) -> list[tuple[int, float]]:
    """What store.best_matches computes in SQL, over in-memory postings."""
    vector = vectors[key]
    strongest = sorted(vector.items(), key=lambda item: (-item[1], item[0]))[: store.QUERY_TERMS]
    partial: dict[int, float] = {}
    for term, weight in strongest:
        for other, other_weight in postings.get(term, ()):
            if other != key:
                partial[other] = partial.get(other, 0.0) + weight * other_weight
    candidates = sorted(partial.items(), key=lambda item: (-item[1], item[0]))
    scored = []
    for other, _ in candidates[: LIST_LENGTH + 20]:
        other_vector = vectors[other]
        score = round(sum(w * other_vector.get(t, 0.0) for t, w in vector.items()), 4)
        if score > 0:
            scored.append((other, score))
    scored.sort(key=lambda match: (-match[1], match[0]))
    return scored[:LIST_LENGTH]


async def rebuild_command(db: Database) -> int:
    """`byline related rebuild`, with a progress bar on stderr."""

    def bar(done: int, total: int) -> None:
        width = 40
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")

    count = await rebuild(db, bar)
    print(f"rebuilt related-article lists for {count} articles")
    return 0
