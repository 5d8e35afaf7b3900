"""The public content endpoints: lists, one article, the whole page, caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

import service.clock
from tests.helpers import MakeArticle, MakeAuthor, assert_problem, error_fields

SUMMARY_KEYS = {"slug", "title", "excerpt", "author", "tags", "published_at", "comment_count"}
ARTICLE_KEYS = {
    "slug",
    "title",
    "excerpt",
    "body_html",
    "author",
    "tags",
    "published_at",
    "updated_at",
    "comments_open",
    "comment_count",
}
PROFILE_KEYS = {"slug", "name", "bio", "bio_html", "avatar_url", "website"}


def at(second: int) -> str:
    return f"2026-01-01T00:00:{second:02d}Z"


async def slugs(client: httpx.AsyncClient, query: str = "") -> list[str]:
    response = await client.get(f"/v1/articles{query}")
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


# --- the list ---------------------------------------------------------------------


async def test_list_is_newest_first_with_the_summary_shape(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("older", published_at=at(1), tags=["back"])
    await make_article("newer", published_at=at(2))

    response = await client.get("/v1/articles")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    assert [item["slug"] for item in body["items"]] == ["newer", "older"]
    assert body["next_cursor"] is None
    item = body["items"][1]
    assert set(item) == SUMMARY_KEYS
    assert item == {
        "slug": "older",
        "title": "Older",
        "excerpt": "Some text.",
        "author": {"slug": "ada", "name": "Ada"},
        "tags": ["back"],
        "published_at": at(1),
        "comment_count": 0,
    }


async def test_drafts_and_scheduled_articles_are_not_listed(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("shown", published_at=at(1))
    await make_article("draft", status="draft")
    await make_article("scheduled", published_at="2999-01-01T00:00:00Z")

    assert await slugs(client) == ["shown"]


async def test_tag_filter(client: httpx.AsyncClient, make_article: MakeArticle) -> None:
    await make_article("knee", published_at=at(1), tags=["knee", "running"])
    await make_article("neck", published_at=at(2), tags=["neck"])
    await make_article("run", published_at=at(3), tags=["running"])

    assert await slugs(client, "?tag=running") == ["run", "knee"]
    assert await slugs(client, "?tag=neck") == ["neck"]
    assert await slugs(client, "?tag=elbow") == []
    assert await slugs(client, "?tag=Not%20a%20tag!") == []


async def test_pages_neither_repeat_nor_skip_while_articles_are_added(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    # Three share one timestamp, so the id must break the tie.
    for name, second in [("a", 1), ("b", 2), ("c", 2), ("d", 2), ("e", 3)]:
        await make_article(name, published_at=at(second))
    seen: list[str] = []
    cursor = None
    added = 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/v1/articles{query}")
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["slug"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        added += 1
        await make_article(f"new-{added}")  # published now: newer than every page so far

    assert added >= 2
    assert seen == ["e", "d", "c", "b", "a"]
    first_page = await slugs(client, "?limit=2")
    assert first_page == [f"new-{added}", f"new-{added - 1}"]


async def test_a_full_last_page_has_no_next_cursor(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    for second in range(1, 5):
        await make_article(f"a{second}", published_at=at(second))

    first = (await client.get("/v1/articles?limit=2")).json()
    second = (await client.get(f"/v1/articles?limit=2&cursor={first['next_cursor']}")).json()

    assert [i["slug"] for i in second["items"]] == ["a2", "a1"]
    assert second["next_cursor"] is None


async def test_the_cursor_keeps_the_tag_filter_it_is_used_with(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    for second in range(1, 6):
        await make_article(f"t{second}", published_at=at(second), tags=["x"] if second % 2 else [])

    first = (await client.get("/v1/articles?tag=x&limit=1")).json()
    rest = await slugs(client, f"?tag=x&limit=10&cursor={first['next_cursor']}")

    assert [i["slug"] for i in first["items"]] == ["t5"]
    assert rest == ["t3", "t1"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
async def test_limit_out_of_bounds_is_400(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get(f"/v1/articles?limit={limit}")
    assert error_fields(response) == {"limit"}


@pytest.mark.parametrize("limit", ["1", "100"])
async def test_limit_bounds_are_inclusive(client: httpx.AsyncClient, limit: str) -> None:
    assert (await client.get(f"/v1/articles?limit={limit}")).status_code == 200


async def test_bad_or_altered_cursors_are_400(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    for second in range(1, 4):
        await make_article(f"a{second}", published_at=at(second))
    cursor = (await client.get("/v1/articles?limit=1")).json()["next_cursor"]
    body, _, signature = cursor.partition(".")
    flipped = ("B" if body[0] != "B" else "C") + body[1:]
    bad = [
        "",
        "garbage",
        "no-signature.",
        f"{flipped}.{signature}",  # the position changed, the signature did not
        f"{body}.{signature[:-1]}",
        f"{body}.{signature}x",
        cursor + "=" * 600,
        "%00%ff.abc",
    ]
    for value in bad:
        response = await client.get("/v1/articles", params={"cursor": value})
        assert error_fields(response) == {"cursor"}, value


async def test_unknown_query_parameters_are_ignored(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/articles?utm_source=x")).status_code == 200


# --- one article ------------------------------------------------------------------


async def test_get_article_has_the_contract_shape(
    client: httpx.AsyncClient, make_author: MakeAuthor, make_article: MakeArticle
) -> None:
    await make_author(
        "maya",
        name="Maya Okafor",
        bio="Physio.",
        avatar_url="https://example.com/m.png",
        website="https://example.com/maya",
    )
    await make_article(
        "neck-pain",
        title="Neck pain",
        author="maya",
        body_markdown="## Why\n\nIt *hurts*.",
        tags=["neck"],
        published_at=at(5),
        comments_open=False,
    )

    response = await client.get("/v1/articles/neck-pain")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ARTICLE_KEYS
    assert body["body_html"] == "<h2>Why</h2>\n<p>It <em>hurts</em>.</p>"
    assert body["author"] == {
        "slug": "maya",
        "name": "Maya Okafor",
        "bio": "Physio.",
        "bio_html": "<p>Physio.</p>",
        "avatar_url": "https://example.com/m.png",
        "website": "https://example.com/maya",
    }
    assert set(body["author"]) == PROFILE_KEYS
    assert (body["slug"], body["title"], body["tags"]) == ("neck-pain", "Neck pain", ["neck"])
    assert (body["published_at"], body["comments_open"], body["comment_count"]) == (
        at(5),
        False,
        0,
    )
    assert body["excerpt"] == "Why It hurts."
    datetime.strptime(body["updated_at"], "%Y-%m-%dT%H:%M:%SZ")


async def test_drafts_and_unknown_slugs_are_404(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("draft", status="draft")

    assert_problem(await client.get("/v1/articles/draft"), 404)
    assert_problem(await client.get("/v1/articles/nobody-wrote-this"), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/articles/..%2Fx",
        "/v1/articles/%2E%2E",
        "/v1/articles/Neck-Pain",
        "/v1/articles/neck_pain",
        "/v1/articles/" + "a" * 300,
        "/v1/articles/%00",
        "/v1/articles/caf%C3%A9",
        "/v1/articles/hello%0A",
        "/v1/articles/%20hello",
    ],
)
async def test_bad_slugs_are_404(
    client: httpx.AsyncClient, make_article: MakeArticle, path: str
) -> None:
    await make_article("hello")
    assert_problem(await client.get(path), 404)


async def test_a_scheduled_article_is_404_until_it_is_due(
    client: httpx.AsyncClient, make_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    await make_article("soon", published_at=due.strftime("%Y-%m-%dT%H:%M:%SZ"))

    assert_problem(await client.get("/v1/articles/soon"), 404)
    assert await slugs(client) == []

    monkeypatch.setattr(service.clock, "utc_now", lambda: due + timedelta(seconds=1))

    assert (await client.get("/v1/articles/soon")).status_code == 200
    assert await slugs(client) == ["soon"]


# --- ?include= ----------------------------------------------------------------------


async def test_include_adds_related_and_comments_in_their_own_shapes(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("page", tags=["knee"])

    plain = (await client.get("/v1/articles/page")).json()
    full = (await client.get("/v1/articles/page?include=related,comments")).json()
    only_related = (await client.get("/v1/articles/page?include=related")).json()

    assert "related" not in plain and "comments" not in plain
    assert set(full) == ARTICLE_KEYS | {"related", "comments"}
    assert full["related"] == {"items": []}
    assert full["comments"] == {"items": [], "next_cursor": None, "total": 0}
    assert set(only_related) == ARTICLE_KEYS | {"related"}


@pytest.mark.parametrize("include", ["authors", "related,everything", "comments,,x"])
async def test_an_unknown_include_part_is_400(
    client: httpx.AsyncClient, make_article: MakeArticle, include: str
) -> None:
    await make_article("page")
    response = await client.get("/v1/articles/page", params={"include": include})
    assert error_fields(response) == {"include"}


# --- caching ------------------------------------------------------------------------


async def test_public_gets_carry_etag_and_cache_control(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("cached")
    for path in ["/v1/articles", "/v1/articles/cached", "/v1/articles/cached?include=related"]:
        response = await client.get(path)
        assert response.headers["etag"].startswith('W/"'), path
        assert response.headers["cache-control"] == "public, max-age=15", path


async def test_if_none_match_gets_304(client: httpx.AsyncClient, make_article: MakeArticle) -> None:
    await make_article("cached")
    for path in ["/v1/articles", "/v1/articles/cached"]:
        etag = (await client.get(path)).headers["etag"]
        for header in [etag, etag.removeprefix("W/"), f'"other", {etag}', "*"]:
            response = await client.get(path, headers={"If-None-Match": header})
            assert response.status_code == 304, (path, header)
            assert response.content == b""
            assert response.headers["etag"] == etag
        stale = await client.get(path, headers={"If-None-Match": 'W/"stale"'})
        assert stale.status_code == 200


async def test_an_edit_changes_the_etag(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("edited", title="First")
    before = await client.get("/v1/articles/edited")
    list_before = await client.get("/v1/articles")

    await make_article("edited", title="Second")
    after = await client.get(
        "/v1/articles/edited", headers={"If-None-Match": before.headers["etag"]}
    )
    list_after = await client.get(
        "/v1/articles", headers={"If-None-Match": list_before.headers["etag"]}
    )

    assert after.status_code == 200
    assert after.json()["title"] == "Second"
    assert after.headers["etag"] != before.headers["etag"]
    assert list_after.status_code == 200
    assert list_after.json()["items"][0]["title"] == "Second"


async def test_renaming_the_author_changes_the_article_etag(
    client: httpx.AsyncClient, make_author: MakeAuthor, make_article: MakeArticle
) -> None:
    await make_article("by-ada")
    before = await client.get("/v1/articles/by-ada")

    await make_author("ada", name="Ada L.")
    after = await client.get(
        "/v1/articles/by-ada", headers={"If-None-Match": before.headers["etag"]}
    )

    assert after.status_code == 200
    assert after.json()["author"]["name"] == "Ada L."


async def test_a_new_article_changes_the_list_etag(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("one")
    etag = (await client.get("/v1/articles")).headers["etag"]
    await make_article("two")

    response = await client.get("/v1/articles", headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert len(response.json()["items"]) == 2


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.json() == {"status": "ready"}
    assert ready.headers["cache-control"] == "no-store"


async def test_tags_that_are_not_slugs_share_one_cached_answer(
    client: httpx.AsyncClient, make_article: MakeArticle, app: Litestar
) -> None:
    await make_article("knee", published_at=at(1), tags=["knee"])
    etags = app.state.services.cache.etags
    answers = [await client.get(f"/v1/articles?tag={'x' * 900}%20{n}") for n in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert all(a.json()["items"] == [] for a in answers)
    assert len({a.headers["etag"] for a in answers}) == 1
    assert not any("x" * 900 in key for key in etags)  # client text kept out of the memo
    knee = await client.get("/v1/articles?tag=knee")
    assert knee.headers["etag"] != answers[0].headers["etag"]
    assert [item["slug"] for item in knee.json()["items"]] == ["knee"]
