"""Related articles through the API: computed on write, following every change."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import service.clock
import service.content.related as related_module
from service.content.related import MODEL, rebuild
from service.errors import StorageUnavailable
from service.storage.database import Database
from tests.helpers import MakeArticle

FILLER = "Patients often ask about recovery, posture, sleep and daily activity."


async def related(client: httpx.AsyncClient, slug: str, limit: int = 10) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/articles/{slug}/related", params={"limit": limit})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def slugs(client: httpx.AsyncClient, slug: str) -> list[str]:
    return [item["slug"] for item in await related(client, slug)]


async def test_items_have_the_summary_shape_and_a_score(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("needling-a", body_markdown="Dry needling of trigger points. " + FILLER)
    await make_article("needling-b", body_markdown="Trigger points and dry needling. " + FILLER)
    items = await related(client, "needling-a")
    assert [item["slug"] for item in items] == ["needling-b"]
    assert set(items[0]) == {
        "slug", "title", "excerpt", "author", "tags", "published_at", "comment_count", "score",
    }  # fmt: skip
    assert 0 < items[0]["score"] <= 1


async def test_a_shared_rare_tag_counts_more_than_a_shared_common_tag(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    for number in range(6):
        await make_article(f"common-{number}", body_markdown=FILLER, tags=["exercise"])
    await make_article("rare-a", body_markdown=FILLER, tags=["exercise", "tendinopathy"])
    await make_article("rare-b", body_markdown=FILLER, tags=["tendinopathy"])
    top = await related(client, "rare-a")
    assert top[0]["slug"] == "rare-b"
    scores = {item["slug"]: item["score"] for item in top}
    assert scores["rare-b"] > scores["common-0"]


async def test_the_title_weighs_more_than_the_body(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("query", title="Shoulder impingement", body_markdown=FILLER)
    await make_article("in-title", title="Shoulder impingement basics", body_markdown=FILLER)
    await make_article(
        "in-body", title="Another page", body_markdown=FILLER + " Shoulder impingement."
    )
    assert (await slugs(client, "query"))[:2] == ["in-title", "in-body"]


async def test_never_itself_never_a_draft_and_lists_follow_unpublishing(
    client: httpx.AsyncClient, make_article: MakeArticle, editor: dict[str, str]
) -> None:
    body = "Knee pain in runners and patellar tendon load. " + FILLER
    await make_article("knee-a", body_markdown=body)
    await make_article("knee-b", body_markdown=body)
    await make_article("knee-draft", body_markdown=body, status="draft")
    assert await slugs(client, "knee-a") == ["knee-b"]
    await make_article("knee-b", body_markdown=body, status="draft")
    assert await slugs(client, "knee-a") == []
    await make_article("knee-b", body_markdown=body, status="published")
    assert await slugs(client, "knee-a") == ["knee-b"]
    deleted = await client.delete("/v1/admin/articles/knee-b", headers=editor)
    assert deleted.status_code == 204
    assert await slugs(client, "knee-a") == []


async def test_an_edit_moves_an_article_out_of_lists_it_no_longer_fits(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    hip = "Hip bursitis and gluteal tendons. " + FILLER
    jaw = "Jaw clicking, temporomandibular joints."
    await make_article("hip-a", title="Gluteal tendons", body_markdown=hip)
    await make_article("hip-b", title="Bursitis", body_markdown=hip)
    await make_article("jaw", title="Clicking jaw", body_markdown=jaw)
    assert (await slugs(client, "hip-a"))[0] == "hip-b"
    await make_article("hip-b", title="Temporomandibular joints", body_markdown=jaw)
    assert "hip-b" not in await slugs(client, "hip-a")
    assert (await slugs(client, "jaw"))[0] == "hip-b"


async def test_lists_are_deterministic_and_limited(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    for number in range(14):
        await make_article(f"same-{number:02}", body_markdown="Identical text. " + FILLER)
    first = await related(client, "same-00", limit=10)
    assert len(first) == 10
    # Equal scores are broken by age (the article stored first wins), the same way every time.
    assert [item["slug"] for item in first] == [f"same-{n:02}" for n in range(1, 11)]
    assert await related(client, "same-00", limit=10) == first
    assert len(await related(client, "same-00", limit=3)) == 3
    too_many = await client.get("/v1/articles/same-00/related", params={"limit": 11})
    assert too_many.status_code == 400


async def test_rebuild_gives_the_same_lists_on_a_settled_corpus(
    client: httpx.AsyncClient, make_article: MakeArticle, database_path: str
) -> None:
    topics = ["shoulder tendon", "knee cartilage", "neck posture", "back disc"]
    for number, topic in enumerate(topics * 2):
        await make_article(f"doc-{number}", body_markdown=f"{topic} {topic} {FILLER}")
    before = {f"doc-{n}": await slugs(client, f"doc-{n}") for n in range(8)}
    db = Database(database_path)
    await db.open()
    try:
        assert await rebuild(db) == 8
    finally:
        await db.close()
    after = {f"doc-{n}": await slugs(client, f"doc-{n}") for n in range(8)}
    # The top match is stable; lower ranks may move as frequencies are re-weighted.
    assert {k: v[0] for k, v in before.items()} == {k: v[0] for k, v in after.items()}
    books = model_bookkeeping(database_path)
    assert books["kept"] == books["counted"] and books["kept"][0] == 8
    assert books["df_kept"] == books["df_counted"]
    # And the model keeps working after it: publishing still finds its matches.
    await make_article("doc-8", body_markdown=f"knee cartilage knee cartilage {FILLER}")
    assert (await slugs(client, "doc-8"))[:2] == ["doc-1", "doc-5"]
    books = model_bookkeeping(database_path)
    assert books["kept"] == books["counted"] and books["kept"][0] == 9


async def three_topics(make_article: MakeArticle, body: str, *, tagged: bool = False) -> None:
    """doc-0 .. doc-8: three articles on each of three topics (doc-n is on topic n % 3)."""
    for number, topic in enumerate(["shoulder tendon", "knee cartilage", "neck posture"] * 3):
        tags = [topic.replace(" ", "-")] if tagged else []
        await make_article(f"doc-{number}", body_markdown=body.format(topic=topic), tags=tags)


def model_bookkeeping(database_path: str) -> dict[str, Any]:
    """The model's kept totals next to the same totals counted from scratch."""
    with sqlite3.connect(database_path) as conn:
        kept = conn.execute("SELECT documents, length FROM related_corpus").fetchone()
        counted = conn.execute("SELECT count(*), total(length) FROM related_documents").fetchone()
        df_kept = dict(conn.execute("SELECT term, df FROM related_terms").fetchall())
        df_counted = dict(
            conn.execute(
                "SELECT j.value, count(*) FROM related_documents d, json_each(d.terms) j "
                "GROUP BY j.value"
            ).fetchall()
        )
        orphans = conn.execute(
            "SELECT count(*) FROM (SELECT article_id FROM related_query_postings UNION ALL "
            "SELECT article_id FROM related_document_postings) "
            "WHERE article_id NOT IN (SELECT article_id FROM related_documents)"
        ).fetchone()[0]
        posted = conn.execute(
            "SELECT count(DISTINCT article_id) FROM related_document_postings"
        ).fetchone()[0]
    return {
        "kept": (kept[0], round(kept[1], 6)),
        "counted": (counted[0], round(counted[1], 6)),
        "df_kept": df_kept,
        "df_counted": df_counted,
        "orphans": orphans,
        "posted": posted,
    }


async def test_the_model_stays_in_step_through_edits_unpublishing_and_deletes(
    client: httpx.AsyncClient,
    make_article: MakeArticle,
    editor: dict[str, str],
    database_path: str,
) -> None:
    await three_topics(make_article, "{topic} " + FILLER, tagged=True)
    await make_article("doc-1", body_markdown="Jaw clicking and temporomandibular joints.")
    await make_article("doc-2", body_markdown=FILLER, status="draft")
    assert (await client.delete("/v1/admin/articles/doc-3", headers=editor)).status_code == 204
    books = model_bookkeeping(database_path)
    assert books["kept"] == books["counted"]
    assert books["kept"][0] == 7  # nine, less one unpublished and one deleted
    assert books["df_kept"] == books["df_counted"]
    assert books["orphans"] == 0
    assert books["posted"] == 7


async def test_a_scheduled_article_joins_cached_lists_when_its_time_comes(
    client: httpx.AsyncClient, make_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    body = "Plantar fasciitis, heel pain and calf stretching. " + FILLER
    await make_article("heel-a", body_markdown=body)
    await make_article(
        "heel-b", body_markdown=body, published_at=due.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    page_url = "/v1/articles/heel-a?include=related"
    for _ in range(2):  # the second answer comes from the cache
        assert await slugs(client, "heel-a") == []
        assert (await client.get(page_url)).json()["related"]["items"] == []

    monkeypatch.setattr(service.clock, "utc_now", lambda: due + timedelta(seconds=1))

    assert await slugs(client, "heel-a") == ["heel-b"]
    page = (await client.get(page_url)).json()
    assert [item["slug"] for item in page["related"]["items"]] == ["heel-b"]


async def test_scheduled_articles_take_no_public_articles_place(
    client: httpx.AsyncClient,
    make_article: MakeArticle,
    monkeypatch: pytest.MonkeyPatch,
    database_path: str,
) -> None:
    # Scheduled twins of heel-a would fill its stored list ahead of heel-b, and,
    # more of them than a publish scores in full, its candidates too.
    monkeypatch.setattr(related_module, "MODEL", dataclasses.replace(MODEL, candidates=8))
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    body = "Plantar fasciitis, heel pain and calf stretching. " + FILLER
    await make_article("heel-a", body_markdown=body)
    await make_article("heel-b", body_markdown="Heel pain and calf stretching. " + FILLER)
    for number in range(10):
        await make_article(
            f"twin-{number}", body_markdown=body, published_at=due.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    assert await slugs(client, "heel-a") == ["heel-b"]
    assert await slugs(client, "heel-b") == ["heel-a"]
    await make_article("heel-a", body_markdown=body + " Edited.")  # recomputes both lists
    assert await slugs(client, "heel-a") == ["heel-b"]
    assert await slugs(client, "heel-b") == ["heel-a"]

    db = Database(database_path)
    await db.open()
    try:
        await rebuild(db)
    finally:
        await db.close()
    assert await slugs(client, "heel-a") == ["heel-b"]
    assert await slugs(client, "heel-b") == ["heel-a"]

    # Their time comes: the twins are there, ahead of heel-b, without another write.
    monkeypatch.setattr(service.clock, "utc_now", lambda: due + timedelta(seconds=1))
    shown = await slugs(client, "heel-a")
    assert sorted(shown[:10]) == [f"twin-{number}" for number in range(10)]


async def test_a_rebuild_keeps_the_changes_made_while_it_computed(
    client: httpx.AsyncClient,
    make_article: MakeArticle,
    editor: dict[str, str],
    database_path: str,
) -> None:
    await three_topics(make_article, "{topic} {topic} " + FILLER)
    computing, resume = threading.Event(), threading.Event()

    def progress(done: int, total: int) -> None:  # runs in the rebuild's thread
        computing.set()
        resume.wait(10)

    db = Database(database_path)
    await db.open()
    commits: list[int] = []
    db.observe_batches(commits.append)
    try:
        rebuilding = asyncio.create_task(rebuild(db, progress))
        assert await asyncio.to_thread(computing.wait, 10)
        await make_article("doc-0", body_markdown=FILLER, status="draft")
        assert (await client.delete("/v1/admin/articles/doc-3", headers=editor)).status_code == 204
        await make_article("doc-4", body_markdown=f"neck posture neck posture {FILLER}")
        await make_article("doc-9", body_markdown=f"shoulder tendon shoulder tendon {FILLER}")
        resume.set()
        assert await rebuilding == 8
    finally:
        await db.close()
    # The rebuilt model in one commit, then each of the four changes in its own:
    # the write lock is never held for all of them at once.
    assert commits == [1, 1, 1, 1, 1]

    books = model_bookkeeping(database_path)
    assert books["kept"] == books["counted"] and books["kept"][0] == 8
    assert books["df_kept"] == books["df_counted"] and books["orphans"] == 0
    with sqlite3.connect(database_path) as conn:
        listed = {row[0] for row in conn.execute("SELECT related_id FROM related_articles")}
        ids = dict(conn.execute("SELECT slug, id FROM articles").fetchall())
    assert ids["doc-0"] not in listed and "doc-3" not in ids
    assert "doc-9" in await slugs(client, "doc-6")
    assert (await slugs(client, "doc-4"))[0] in {"doc-2", "doc-5", "doc-8"}


async def test_lists_from_before_the_model_lose_only_what_changed(
    client: httpx.AsyncClient, make_article: MakeArticle, database_path: str
) -> None:
    """A database migrated to 0005 has lists but no model until a rebuild."""
    for number in range(4):
        await make_article(f"doc-{number}", body_markdown=f"knee cartilage {FILLER}")
    with sqlite3.connect(database_path) as conn:
        for table in ("related_documents", "related_query_postings", "related_document_postings"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM related_terms")
        conn.execute("UPDATE related_corpus SET documents = 0, length = 0")
    before = {f"doc-{n}": await slugs(client, f"doc-{n}") for n in range(1, 4)}
    await make_article("doc-0", body_markdown="Jaw clicking and temporomandibular joints.")
    after = {f"doc-{n}": await slugs(client, f"doc-{n}") for n in range(1, 4)}
    assert after == {k: [s for s in v if s != "doc-0"] for k, v in before.items()}
    assert all(len(v) == 2 for v in after.values())


@pytest.mark.parametrize("failures", [1, 2])
async def test_a_catch_up_waits_out_a_busy_site_or_says_what_to_do(
    make_article: MakeArticle,
    database_path: str,
    monkeypatch: pytest.MonkeyPatch,
    failures: int,
) -> None:
    await three_topics(make_article, "{topic} {topic} " + FILLER)
    monkeypatch.setattr(related_module, "_CATCH_UP_TRIES", 2)
    real_catch_up = related_module._catch_up
    refused: list[int] = []

    async def busy_at_first(tx: Any, **job: Any) -> None:
        if len(refused) < failures:
            refused.append(job["article_id"])
            raise StorageUnavailable()
        await real_catch_up(tx, **job)

    monkeypatch.setattr(related_module, "_catch_up", busy_at_first)
    computing, resume = threading.Event(), threading.Event()

    def progress(done: int, total: int) -> None:
        computing.set()
        resume.wait(10)

    db = Database(database_path)
    await db.open()
    try:
        rebuilding = asyncio.create_task(rebuild(db, progress))
        assert await asyncio.to_thread(computing.wait, 10)
        await make_article("doc-4", body_markdown=f"neck posture {FILLER}")
        resume.set()
        if failures < 2:  # a second try goes through
            assert await rebuilding == 9
        else:
            with pytest.raises(StorageUnavailable) as caught:
                await rebuilding
            assert "run the rebuild again" in caught.value.detail
            assert str(refused[0]) in caught.value.detail
    finally:
        await db.close()
