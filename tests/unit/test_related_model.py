"""The related-articles model: feedback blending and the exact rebuild."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from service.content.related_build import build
from service.content.tokens import tokenize
from service.content.vectors import Model, Source, base_vectors, blend, dot, field_counts

TOPICS = {
    "knee": "knee cartilage meniscus ligament runner squat",
    "shoulder": "shoulder rotator cuff impingement overhead throwing",
    "neck": "neck posture desk headache cervical stiffness",
}


def corpus(size: int, seed: int) -> list[Source]:
    rng = random.Random(seed)
    sources = []
    for key in range(size):
        words = TOPICS[rng.choice(sorted(TOPICS))].split()
        body = " ".join(rng.choice(words) for _ in range(rng.randint(5, 30)))
        noise = " ".join(rng.choice(["sleep", "water", "walk", "rest"]) for _ in range(3))
        sources.append(Source(key, "", f"{body} {noise}"))
    return sources


def brute_force_lists(sources: list[Source], model: Model, depth: int) -> dict[int, list]:
    """The rebuild's lists computed pair by pair in plain Python, without scipy."""
    built = build(sources, model, depth)
    vectors = {d.key: (d.query, d.document, d.self_score) for d in built.documents}
    lists = {}
    for key, (query, _, own) in vectors.items():
        scores = {
            other: round(min(dot(query, document) / own, 1.0), 4)
            for other, (_, document, _) in vectors.items()
            if other != key
        }
        ranked = sorted(((k, s) for k, s in scores.items() if s > 0), key=lambda m: (-m[1], m[0]))
        lists[key] = ranked[:depth]
    return lists


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rebuild_scores_every_pair_exactly(seed: int) -> None:
    sources = corpus(300, seed)  # more than one block of the matrix product
    model = Model()
    assert build(sources, model, 10).lists == brute_force_lists(sources, model, 10)


def test_the_rebuild_never_lists_an_article_with_itself_and_breaks_ties_by_key() -> None:
    twins = [Source(key, "", "identical words about knee cartilage") for key in (5, 3, 9, 1)]
    lists = build(twins, Model(), 10).lists
    assert lists == {
        1: [(3, 1.0), (5, 1.0), (9, 1.0)],
        3: [(1, 1.0), (5, 1.0), (9, 1.0)],
        5: [(1, 1.0), (3, 1.0), (9, 1.0)],
        9: [(1, 1.0), (3, 1.0), (5, 1.0)],
    }


def test_the_rebuild_groups_a_small_corpus_by_topic() -> None:
    sources = corpus(60, 7)
    topic = {
        s.key: next(t for t, words in TOPICS.items() if s.body.split()[0] in words) for s in sources
    }
    lists = build(sources, Model(), 5).lists
    hits = sum(topic[o] == topic[k] for k, matches in lists.items() for o, _ in matches)
    assert hits / (5 * len(sources)) > 0.9


def test_feedback_takes_its_share_only_when_every_slot_is_filled() -> None:
    own = {"knee": 1.0}
    neighbour = {"shoulder": 1.0}
    full = blend(own, [(neighbour, 0.5)] * 5, share=0.6, expansion=10, slots=5)
    one = blend(own, [(neighbour, 0.5)], share=0.6, expansion=10, slots=5)
    assert full == pytest.approx({"knee": 0.4, "shoulder": 0.6})
    assert one == pytest.approx({"knee": 1 - 0.12, "shoulder": 0.12})
    assert blend(own, [], share=0.6, expansion=10, slots=5) == own


def test_feedback_adds_at_most_the_expansion_terms() -> None:
    own = {"knee": 1.0}
    neighbour = {f"word{n:02}": 1.0 / (n + 1) for n in range(30)}
    mixed = blend(own, [(neighbour, 1.0)] * 5, share=0.5, expansion=4, slots=5)
    assert set(mixed) == {"knee", "word00", "word01", "word02", "word03"}


def test_the_title_and_tags_weigh_above_the_body_and_rare_tags_above_common() -> None:
    model = Model()
    counts = field_counts("Knee", "knee shoulder", ["Rare tag", "common"], model)
    assert counts["knee"] == model.title + model.body
    assert counts["shoulder"] == model.body
    rare, common = "#" + " ".join(tokenize("Rare tag")), "#common"
    assert counts[rare] == counts[common] == model.tags
    frequencies = {term: 2 for term in counts} | {common: 90}
    query, _ = base_vectors(counts, frequencies, 100, sum(counts.values()), model)
    assert query[rare] > query[common]


def test_the_server_does_not_load_numpy_or_scipy() -> None:
    """They are for rebuilds only: a server worker would carry them for nothing."""
    check = "import sys, service.app; print(sorted({'numpy', 'scipy'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
