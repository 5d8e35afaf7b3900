""" "You may also like these": lists computed on write, read with one indexed query.

The relevance model is service/content/vectors.py. Its state lives in the
database (migrations 0003 and 0005), so every worker shares it, and a publish
is a few indexed statements:

- the article's vectors are weighted with the current document frequencies,
  then blended with its best first-pass matches (feedback);
- its own list is its best matches among candidates found by its strongest
  terms, each scored in full;
- it is offered to the lists of the articles it answers best, staying in a
  list when it ranks among that list's best;
- every list that held it before is recomputed, so an edit or unpublish never
  leaves a stale entry.

Other articles keep the frequencies and feedback of the moment they were
indexed; `byline related rebuild` recomputes everything, every pair scored
exactly (service/content/related_build.py).
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from service.clock import now_text
from service.content.vectors import (
    Model,
    Source,
    Vector,
    base_vectors,
    blend,
    dot,
    field_counts,
    strongest_terms,
)
from service.errors import StorageUnavailable
from service.storage import related as store
from service.storage.database import Database, Queryable, Transaction
from service.storage.installation import bump_content_version
from service.storage.related import Match, StoredDocument
from service.storage.writer import Job

if TYPE_CHECKING:  # the module itself loads numpy and scipy: see _build
    from service.content.related_build import Built, Indexed

LIST_LENGTH = store.MAX_STORED
MODEL = Model()
# Postings this short are always walked: cheap, and on a small site every word is common.
_ALWAYS_WALKED = 200


def _source(row: sqlite3.Row) -> Source:
    return Source(int(row["id"]), row["title"], row["body"], tuple(json.loads(row["tags"])))


async def article_changed(tx: Transaction, article_id: int) -> None:
    """Bring every list in step with this article's new state (in the caller's transaction)."""
    await _forget(tx, article_id)
    holders = await store.lists_containing(tx, article_id)
    row = await store.indexable_article(tx, article_id)
    now = now_text()
    scheduled = await store.scheduled_articles(tx, now)
    if row is None:
        await store.replace_related(tx, article_id, [], scheduled)
    else:
        doc = await _index(tx, _source(row))
        matches = await _best_matches(tx, article_id, doc, _DocumentVectors(tx), scheduled)
        await store.replace_related(tx, article_id, matches, scheduled)
        entering = await _lists_to_enter(tx, article_id, doc, holders, scheduled)
        await store.offer(tx, article_id, entering, now)
    await _recompute(tx, holders, article_id, scheduled)


async def article_deleted(tx: Transaction, article_id: int) -> None:
    """Called before the article row goes: its model and its places in lists go too."""
    await _forget(tx, article_id)
    holders = await store.lists_containing(tx, article_id)
    scheduled = await store.scheduled_articles(tx, now_text())
    await store.replace_related(tx, article_id, [], scheduled)
    await store.remove_from_lists(tx, article_id)
    await _recompute(tx, holders, article_id, scheduled)


async def _forget(tx: Transaction, article_id: int) -> None:
    old = (await store.stored_documents(tx, [article_id])).get(article_id)
    if old is not None:
        posted = {side: list(terms) for side, terms in _postings(old).items()}
        await store.remove_document(tx, article_id, old, posted)


class _DocumentVectors:
    """Other articles' document vectors, each read (and decoded) once per change."""

    def __init__(self, q: Queryable) -> None:
        self._q = q
        self._known: dict[int, Vector] = {}

    async def get(self, article_ids: list[int]) -> dict[int, Vector]:
        missing = [k for k in article_ids if k not in self._known]
        if missing:
            found = await store.stored_vectors(self._q, "document", missing)
            self._known.update((k, vector) for k, (vector, _) in found.items())
        return {k: self._known[k] for k in article_ids if k in self._known}


async def _index(tx: Transaction, source: Source) -> StoredDocument:
    """Weigh, blend and store one article's vectors."""
    counts = field_counts(source.title, source.body, source.tags, MODEL)
    terms = sorted(counts)
    known = await store.document_frequencies(tx, terms)
    frequencies = {term: known.get(term, 0) + 1 for term in terms}
    indexed, summed_length = await store.corpus_size(tx)
    total, length = indexed + 1, sum(counts.values())
    query, document = base_vectors(
        counts, frequencies, total, (summed_length + length) / total, MODEL
    )
    # Feedback: the best first-pass matches by the strongest terms alone (the
    # rebuild scores them in full; here that would read a hundred vectors more).
    # Feedback reads scores alone, scheduled articles' included.
    first = (await _candidates(tx, "document", query, source.key, total, 0))[: MODEL.feedback]
    neighbours = await store.stored_documents(tx, [k for k, _ in first])
    queries = [(neighbours[k].query, s) for k, s in first]
    blended = [(neighbours[k].document, s) for k, s in first]
    query = blend(query, queries, MODEL.query_blend, MODEL.expansion, MODEL.feedback)
    document = blend(document, blended, MODEL.document_blend, MODEL.expansion, MODEL.feedback)
    doc = StoredDocument(terms, length, dot(query, document), query, document)
    await store.add_document(tx, source.key, doc, _postings(doc))
    return doc


async def _candidates(
    q: Queryable, side: str, probe: Vector, article_id: int, total: int, scheduled: int
) -> list[Match]:
    """The best matches by `probe`'s strongest terms alone (with that partial score).

    Words in more than MODEL.common of all articles are skipped, for speed at
    scale; if that leaves too few candidates (a small site, a text of common
    words), every term counts. The `scheduled` articles may all be among them:
    they take no public article's place here either.
    """
    strongest_only = strongest_terms(probe, MODEL.candidate_terms)
    longest = max(_ALWAYS_WALKED, int(MODEL.common * total))
    wanted = MODEL.candidates + scheduled
    found = await store.candidates(q, side, strongest_only, article_id, longest, wanted)
    if len(found) < LIST_LENGTH + scheduled and longest < total:
        found = await store.candidates(q, side, strongest_only, article_id, total, wanted)
    return found


async def _candidate_ids(
    q: Queryable, side: str, probe: Vector, article_id: int, total: int, scheduled: int
) -> list[int]:
    return [k for k, _ in await _candidates(q, side, probe, article_id, total, scheduled)]


async def _best_matches(
    q: Queryable,
    article_id: int,
    doc: StoredDocument,
    documents: _DocumentVectors,
    scheduled: set[int],
) -> list[Match]:
    total, _ = await store.corpus_size(q)
    found = await _candidate_ids(q, "document", doc.query, article_id, total, len(scheduled))
    others = await documents.get(found)
    return ranked({k: score(doc.query, doc.self_score, other) for k, other in others.items()})


async def _lists_to_enter(
    q: Queryable, article_id: int, doc: StoredDocument, holders: list[int], scheduled: set[int]
) -> list[Match]:
    """The articles this one answers best, with its score in each of their lists."""
    total, _ = await store.corpus_size(q)
    found = await _candidate_ids(q, "query", doc.document, article_id, total, len(scheduled))
    recomputed = set(holders)
    others = await store.stored_vectors(q, "query", [k for k in found if k not in recomputed])
    scores = {k: score(query, own, doc.document) for k, (query, own) in others.items()}
    return [(k, s) for k, s in sorted(scores.items()) if s > 0]


async def _recompute(tx: Transaction, owners: list[int], changed: int, scheduled: set[int]) -> None:
    """Recompute whole lists that held `changed` (an article that changed or went)."""
    documents = _DocumentVectors(tx)
    stored = await store.stored_documents(tx, owners)
    for owner in owners:
        doc = stored.get(owner)
        if doc is None:
            # Not in the model (a database from before migration 0005, until a
            # rebuild): its list cannot be recomputed, only the stale entry dropped.
            await store.remove_from_list(tx, owner, changed)
        else:
            matches = await _best_matches(tx, owner, doc, documents, scheduled)
            await store.replace_related(tx, owner, matches, scheduled)


def score(query: Vector, self_score: float, document: Vector) -> float:
    """How well `document` answers `query`, relative to the query's own article."""
    return round(min(dot(query, document) / self_score, 1.0), 4) if self_score > 0 else 0.0


def ranked(scores: dict[int, float]) -> list[Match]:
    """Best first, ties to the lower id, never a zero score; uncut (the store
    keeps the best public ones and the scheduled ones among them)."""
    return sorted(((k, s) for k, s in scores.items() if s > 0), key=lambda m: (-m[1], m[0]))


def _postings(doc: StoredDocument) -> dict[str, dict[str, float]]:
    return {
        "query": strongest_terms(doc.query, MODEL.candidate_terms),
        "document": strongest_terms(doc.document, MODEL.candidate_terms),
    }


async def rebuild(db: Database, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every vector with today's frequencies, then every list. Returns the count.

    Computed off the event loop (`progress(done, total)` is called from that
    thread), then written in one transaction, so readers see the old lists or
    the new. Articles edited, published, unpublished or deleted while it
    computed are then brought up to date one by one, each in a transaction of
    its own: in the big one, a few dozen of them held the write lock past the
    busy timeout, and the site's own writes failed meanwhile. Until its turn,
    such an article is missing from the lists; if its turn cannot come (the
    site stays too busy), the rebuild says so and names it.
    """
    sources = [_source(row) for row in await store.indexable_articles(db)]
    # Scheduled articles take no public one's place (one scheduled since is
    # caught up below).
    scheduled = frozenset(await store.scheduled_articles(db, now_text()))
    built = await asyncio.to_thread(_build, sources, scheduled, progress)
    changed_meanwhile: list[int] = []
    deleted_meanwhile: dict[int, list[int]] = {}

    async def store_built(tx: Transaction) -> int:
        current = {s.key: s for s in map(_source, await store.indexable_articles(tx))}
        changed = {s.key for s in sources if current.get(s.key) != s}
        changed |= current.keys() - built.lists.keys()
        existing = await store.existing_articles(tx, sorted(changed))
        kept = [item for item in built.documents if item.key not in changed]
        # Entries naming a deleted article cannot be stored (foreign key).
        deleted = changed - existing
        lists = {
            owner: [match for match in matches if match[0] not in deleted]
            for owner, matches in built.lists.items()
            if owner not in changed
        }
        await store.clear_model(tx)
        await store.load_model(tx, _frequencies(kept), [_stored(item) for item in kept])
        await store.load_lists(tx, lists, await store.scheduled_articles(tx, now_text()))
        changed_meanwhile.extend(sorted(existing))
        for article_id in sorted(deleted):
            deleted_meanwhile[article_id] = [
                o
                for o, matches in built.lists.items()
                if o in lists and article_id in dict(matches)
            ]
        await bump_content_version(tx)
        return len(kept) + len(changed & current.keys())

    count = await db.write(store_built)
    catch_ups = [functools.partial(_catch_up, article_id=a) for a in changed_meanwhile]
    catch_ups += [
        functools.partial(_catch_up, article_id=a, held=h) for a, h in deleted_meanwhile.items()
    ]
    for number, catch_up in enumerate(catch_ups):
        try:
            await _write_patiently(db, catch_up)
        except StorageUnavailable:
            left = sorted({job.keywords["article_id"] for job in catch_ups[number:]})
            raise StorageUnavailable(
                "the lists were rebuilt, but articles changed meanwhile could not be brought "
                f"up to date (ids {left}): run the rebuild again"
            ) from None
    return count


async def _write_patiently(db: Database, job: Job[None]) -> None:
    """A catch-up waits out a busy site: a few tries, a second apart."""
    for attempt in range(_CATCH_UP_TRIES):
        try:
            await db.write(job)
            return
        except StorageUnavailable:
            if attempt == _CATCH_UP_TRIES - 1:
                raise
            await asyncio.sleep(1)


_CATCH_UP_TRIES = 5


async def _catch_up(tx: Transaction, *, article_id: int, held: list[int] | None = None) -> None:
    """One article that changed while a rebuild computed (`held`: the lists that
    held it, if it was deleted), brought into the rebuilt model and lists."""
    if held is None:
        await article_changed(tx, article_id)
    else:
        await _recompute(tx, held, article_id, await store.scheduled_articles(tx, now_text()))
    await bump_content_version(tx)


def _build(
    sources: list[Source],
    scheduled: frozenset[int],
    progress: Callable[[int, int], None] | None,
) -> Built:
    # Imported here, in the rebuild's thread: numpy and scipy stay out of the
    # server workers' memory, and loading them does not block the event loop.
    from service.content.related_build import build

    return build(sources, MODEL, LIST_LENGTH, progress, scheduled)


def _frequencies(documents: list[Indexed]) -> dict[str, int]:
    frequencies: dict[str, int] = {}
    for item in documents:
        for term in item.terms:
            frequencies[term] = frequencies.get(term, 0) + 1
    return frequencies


def _stored(item: Indexed) -> tuple[int, StoredDocument, dict[str, dict[str, float]]]:
    doc = StoredDocument(item.terms, item.length, item.self_score, item.query, item.document)
    return item.key, doc, _postings(doc)


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
