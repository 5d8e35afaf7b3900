"""GET /v1/articles/{slug}?include=comments&limit=&sort= (an extension of the page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.comment_fixtures import Site, open_site


async def standalone(site: Site, **params: Any) -> dict[str, Any]:
    answer = await site.client.get("/v1/articles/post/comments", params=params)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def included(site: Site, **params: Any) -> dict[str, Any]:
    answer = await site.client.get("/v1/articles/post", params={"include": "comments", **params})
    assert answer.status_code == 200, answer.text
    comments: dict[str, Any] = answer.json()["comments"]
    return comments


async def test_limit_and_sort_shape_the_embedded_page_like_the_list(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        for i in range(7):
            await site.approved(body=f"comment {i}")
        for params in (
            {"limit": 3},
            {"limit": 100},
            {"limit": 1, "sort": "newest"},
            {"sort": "newest"},
            {"sort": "oldest", "limit": 7},
        ):
            assert await included(site, **params) == await standalone(site, **params), params
        three = await included(site, limit=3)
        assert len(three["items"]) == 3 and three["next_cursor"] is not None
        newest = await included(site, sort="newest", limit=2)
        oldest = await included(site, sort="oldest", limit=7)
        assert [c["id"] for c in newest["items"]] == [c["id"] for c in oldest["items"]][::-1][:2]


async def test_default_is_twenty_oldest_first(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        for i in range(22):
            await site.approved(body=f"comment {i}")
        page = await included(site)
        assert len(page["items"]) == 20
        assert page == await standalone(site, limit=20, sort="oldest")


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=-1", "limit=abc", "sort=random", "sort="],
)
async def test_out_of_range_is_a_400_like_the_list(tmp_path: Path, query: str) -> None:
    async with open_site(tmp_path) as site:
        page = await site.client.get(f"/v1/articles/post?include=comments&{query}")
        listed = await site.client.get(f"/v1/articles/post/comments?{query}")
        assert page.status_code == listed.status_code == 400, (page.text, listed.text)


async def test_limit_and_sort_are_part_of_the_cache_key_and_etag(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        for i in range(5):
            await site.approved(body=f"comment {i}")
        seen: dict[str, tuple[str, int]] = {}
        for params in ({}, {"limit": 2}, {"limit": 2, "sort": "newest"}, {"limit": 3}):
            answer = await site.client.get(
                "/v1/articles/post", params={"include": "comments", **params}
            )
            assert answer.status_code == 200
            items = answer.json()["comments"]["items"]
            seen[str(params)] = (answer.headers["etag"], len(items))
            # The cached body is the one for these parameters, not the first one cached.
            again = await site.client.get(
                "/v1/articles/post", params={"include": "comments", **params}
            )
            assert again.json()["comments"]["items"] == items
            assert again.headers["etag"] == answer.headers["etag"]
        assert len({etag for etag, _ in seen.values()}) == len(seen)
        assert seen["{'limit': 2}"][1] == 2 and seen["{}"][1] == 5


async def test_without_include_comments_the_parameters_change_nothing(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.approved(body="one")
        plain = await site.client.get("/v1/articles/post")
        limited = await site.client.get("/v1/articles/post?limit=5&sort=newest")
        assert plain.status_code == limited.status_code == 200
        assert "comments" not in plain.json() or plain.json()["comments"] is None
        assert limited.json() == plain.json()


async def test_include_given_twice_means_both(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.approved()
        both = await site.client.get("/v1/articles/post?include=related,comments")
        twice = await site.client.get("/v1/articles/post?include=related&include=comments")
        assert twice.status_code == both.status_code == 200
        assert twice.json() == both.json()
        assert {"related", "comments"} <= twice.json().keys()
        assert twice.headers["etag"] == both.headers["etag"]
        bad = await site.client.get("/v1/articles/post?include=related&include=authors")
        assert bad.status_code == 400
