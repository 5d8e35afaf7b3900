"""The related-articles model computed for every article at once: a rebuild.

The same model as a publish (service/content/vectors.py), but with every pair
of articles scored exactly, as sparse matrix products (scipy), a block of
articles at a time: pure Python loops over 10,000 articles' pairs took
minutes, the products take seconds.

Two passes: base vectors score every pair to find each article's few best
matches, which are blended in (feedback); the blended vectors then score every
pair again for the lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from service.content.vectors import (
    Model,
    Source,
    Vector,
    base_vectors,
    blend,
    dot,
    field_counts,
)
from service.storage.related import Match, keep_best

_BLOCK = 256  # articles scored per product: a dense block of 256 x N scores
_DIGITS = 4
_HALF_STEP = 0.5 * 10**-_DIGITS


@dataclass(frozen=True)
class Indexed:
    """What the database keeps for one article (service/storage/related.py)."""

    key: int
    terms: list[str]  # every distinct term, for document frequencies
    length: float  # its BM25 length
    query: Vector
    document: Vector
    self_score: float


@dataclass(frozen=True)
class Built:
    frequencies: dict[str, int]
    documents: list[Indexed]
    lists: dict[int, list[Match]]


def build(
    sources: Sequence[Source],
    model: Model,
    depth: int,
    progress: Callable[[int, int], None] | None = None,
    scheduled: frozenset[int] = frozenset(),
) -> Built:
    """Vectors, feedback and every list; ``progress(done, total)`` over both passes.

    A list holds its best ``depth`` articles that are not ``scheduled``, and the
    scheduled ones that rank among them (storage/related.py, keep_best).
    """
    ordered = sorted(sources, key=lambda source: source.key)
    keys = [source.key for source in ordered]
    waiting = np.array([key in scheduled for key in keys], dtype=bool) if scheduled else None
    counts = [field_counts(s.title, s.body, s.tags, model) for s in ordered]
    frequencies: dict[str, int] = {}
    for article_counts in counts:
        for term in article_counts:
            frequencies[term] = frequencies.get(term, 0) + 1
    total = len(ordered)
    lengths = [sum(article_counts.values()) for article_counts in counts]
    average = sum(lengths) / total if total else 0.0
    base = [base_vectors(c, frequencies, total, average, model) for c in counts]

    def step(done: int) -> None:
        if progress is not None:
            progress(done, 2 * total)

    columns = {term: column for column, term in enumerate(sorted(frequencies))}
    first = _best(
        _matrix([q for q, _ in base], columns),
        _matrix([d for _, d in base], columns),
        np.array([dot(q, d) for q, d in base]),
        model.feedback,
        step,
    )
    blended = []
    for (query, document), matches in zip(base, first, strict=True):
        queries = [(base[other][0], score) for other, score in matches]
        documents = [(base[other][1], score) for other, score in matches]
        blended.append(
            (
                blend(query, queries, model.query_blend, model.expansion, model.feedback),
                blend(document, documents, model.document_blend, model.expansion, model.feedback),
            )
        )
    self_scores = np.array([dot(q, d) for q, d in blended])
    final = _best(
        _matrix([q for q, _ in blended], columns),
        _matrix([d for _, d in blended], columns),
        self_scores,
        depth,
        lambda done: step(total + done),
        waiting,
    )
    indexed = [
        Indexed(key, sorted(c), length, q, d, float(own))
        for key, c, length, (q, d), own in zip(
            keys, counts, lengths, blended, self_scores, strict=True
        )
    ]
    lists = {
        keys[row]: keep_best([(keys[other], score) for other, score in matches], scheduled, depth)
        for row, matches in enumerate(final)
    }
    return Built(frequencies, indexed, lists)


def _matrix(vectors: list[Vector], columns: dict[str, int]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for vector in vectors:
        indices.extend(columns[term] for term in vector)
        data.extend(vector.values())
        indptr.append(len(indices))
    shape = (len(vectors), len(columns))
    return sparse.csr_matrix((data, indices, indptr), shape=shape, dtype=np.float64)


def _best(
    queries: sparse.csr_matrix,
    documents: sparse.csr_matrix,
    self_scores: np.ndarray | None,
    limit: int,
    progress: Callable[[int], None],
    waiting: np.ndarray | None = None,
) -> list[list[Match]]:
    """Each row's best ``limit`` columns by ``queries @ documents.T``, never itself.

    Rows are indices into the same articles. With ``self_scores`` a score is
    divided by the row's own and clamped to 1, then rounded, and ties go to
    the lower index; without, raw scores are returned (feedback weights).
    Columns marked ``waiting`` (scheduled articles) do not count toward the
    cut: every one scoring above the ``limit``-th other is returned too.
    """
    total = queries.shape[0]
    transposed = documents.T.tocsc()
    results: list[list[Match]] = []
    for start in range(0, total, _BLOCK):
        stop = min(start + _BLOCK, total)
        scores = (queries[start:stop] @ transposed).toarray()
        rows = np.arange(stop - start)
        scores[rows, rows + start] = 0.0
        if self_scores is not None:
            own = self_scores[start:stop, None]
            scores = np.minimum(np.divide(scores, own, out=np.zeros_like(scores), where=own > 0), 1)
        take = min(limit, total - 1)
        if take <= 0:
            results.extend([] for _ in rows)
            continue
        ranking = scores if waiting is None else np.where(waiting[None, :], 0.0, scores)
        best = np.argpartition(-ranking, take - 1, axis=1)[:, :take]
        for row in rows:
            # Everything that could round to the cut's score may win a tie on
            # the lower index, however many there are.
            cut = float(ranking[row, best[row]].min())
            if self_scores is not None:
                cut = round(cut, _DIGITS) - _HALF_STEP * 1.01
            close = np.flatnonzero((scores[row] >= cut) & (scores[row] > 0))
            found = [(int(column), float(scores[row, column])) for column in close]
            if self_scores is not None:
                found = [(column, round(score, _DIGITS)) for column, score in found]
            found = [match for match in found if match[1] > 0]
            found.sort(key=lambda match: (-match[1], match[0]))
            # With `waiting`, the caller cuts (keep_best): the scheduled ones above
            # the cut are in `found` besides the best `limit` others.
            results.append(found[:limit] if waiting is None else found)
        progress(stop)
    return results
