"""Term weighting for related articles: the relevance model, as pure functions.

A document is scored as a *query* against other documents. The query vector
is sublinear tf x IDF over the document's strongest terms, L2-normalised;
the document vector is BM25 (saturated tf, length-normalised) x IDF over the
same terms. IDF is damped for very rare words: a word seen in fewer than
``sqrt(N) / 2`` documents counts as if seen in that many, since names,
typos and signatures are rare without being topical. Whole tags are their
own features and keep their full IDF, so a shared rare tag outweighs a
shared common one.

Feedback ("pseudo-relevance feedback"): each document's vectors are then
blended with those of its few best first-pass matches, which fills in the
topic words a short text leaves out. Measured on 20 Newsgroups with
bench/related_byline.py; each step earned its place there.

The score of ``b`` in ``a``'s list is ``dot(query_a, document_b)`` divided by
``dot(query_a, document_a)`` (how well ``a`` answers itself), clamped to 1.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from heapq import nlargest
from itertools import repeat
from math import log, sqrt
from operator import mul

from service.content.tokens import tokenize

Vector = dict[str, float]
"""Term -> weight, always in sorted term order (see ``accumulate``)."""

TAG_PREFIX = "#"


@dataclass(frozen=True)
class Model:
    """Field weights and the knobs of the model, with their measured defaults."""

    title: float = 3.0
    body: float = 1.0
    tags: float = 3.0
    terms: int = 150  # strongest terms kept per document
    k1: float = 0.9  # BM25 tf saturation
    b: float = 0.75  # BM25 length normalisation
    feedback: int = 5  # best matches blended into a document
    query_blend: float = 0.6
    document_blend: float = 0.5
    expansion: int = 50  # terms a blend may add
    # A publish finds candidates by a vector's strongest terms only, skipping
    # words in more than `common` of all articles, then scores the best in full.
    candidate_terms: int = 50
    candidates: int = 100
    common: float = 0.1


@dataclass(frozen=True)
class Source:
    """An article as the model reads it."""

    key: int
    title: str
    body: str
    tags: tuple[str, ...] = ()


def field_counts(title: str, body: str, tags: Iterable[str], model: Model) -> dict[str, float]:
    """Pseudo-frequencies: each occurrence counts its field's weight."""
    counts: dict[str, float] = {}
    tags = tuple(tags)
    fields = [(title, model.title), (body, model.body), *((tag, model.tags) for tag in tags)]
    for text, weight in fields:
        for term in tokenize(text):
            counts[term] = counts.get(term, 0.0) + weight
    for tag in tags:
        name = " ".join(tokenize(tag))
        if name:
            feature = TAG_PREFIX + name
            counts[feature] = counts.get(feature, 0.0) + model.tags
    return counts


def idf(term: str, df: int, total: int) -> float:
    """Inverse document frequency, damped for rare words but not for tags."""
    floor = 1.0 if term.startswith(TAG_PREFIX) else max(1.0, sqrt(total) / 2)
    # The 1 + keeps it positive: the first documents of a new site, whose
    # words are in every document so far, still get vectors.
    return log(1 + total / max(df, floor))


def base_vectors(
    counts: Mapping[str, float],
    df: Mapping[str, int],
    total: int,
    average_length: float,
    model: Model,
) -> tuple[Vector, Vector]:
    """The (query, document) vectors of one document before feedback."""
    weights = {}
    for term, frequency in counts.items():
        weight = idf(term, df[term], total)
        if weight > 0 and frequency > 0:
            weights[term] = weight
    kept = nlargest(
        model.terms, weights, key=lambda term: (_sublinear(counts[term]) * weights[term], term)
    )
    kept.sort()
    query = {term: _sublinear(counts[term]) * weights[term] for term in kept}
    norm = sqrt(sum(weight * weight for weight in query.values())) or 1.0
    length = sum(counts.values())
    saturation = model.k1 * (1 - model.b + model.b * length / (average_length or 1.0))
    document = {}
    for term in kept:
        query[term] /= norm
        frequency = counts[term]
        document[term] = weights[term] * frequency * (model.k1 + 1) / (frequency + saturation)
    return query, document


def blend(
    own: Vector,
    neighbours: Iterable[tuple[Vector, float]],
    share: float,
    expansion: int,
    slots: int,
) -> Vector:
    """``own`` mixed with its neighbours' vectors, weighted by their scores.

    The neighbours take ``share`` of the blend when they fill all ``slots``;
    fewer take less, so on a young site the only other article or two, likely
    unrelated, do not swamp a new one.
    """
    neighbours = [(vector, score) for vector, score in neighbours if score > 0]
    total = sum(score for _, score in neighbours)
    if not neighbours or share <= 0:
        return dict(own)
    share *= min(len(neighbours) / slots, 1.0)
    mixed: dict[str, float] = {}
    for vector, score in neighbours:
        factor = share * score / total
        for term, weight in vector.items():
            mixed[term] = mixed.get(term, 0.0) + factor * weight
    added: list[str] = sorted(term for term in mixed if term not in own)
    # nlargest is stable: equal weights keep term order.
    kept: list[str] = nlargest(expansion, added, key=mixed.__getitem__)
    dropped = set(added).difference(kept)
    result = {term: (1 - share) * weight for term, weight in own.items()}
    for term, weight in mixed.items():
        if term not in dropped:
            result[term] = result.get(term, 0.0) + weight
    return dict(sorted(result.items()))


def strongest_terms(vector: Vector, count: int) -> Vector:
    """The ``count`` heaviest terms of ``vector``, in term order."""
    if len(vector) <= count:
        return vector
    kept = nlargest(count, vector.items(), key=lambda item: (item[1], item[0]))
    return dict(sorted(kept))


def dot(query: Vector, document: Vector) -> float:
    """One pair's score: the query's terms in order, absent ones adding 0."""
    return sum(map(mul, query.values(), map(document.get, query.keys(), repeat(0.0))), 0.0)


def _sublinear(frequency: float) -> float:
    return 1.0 + log(frequency) if frequency >= 1 else frequency
