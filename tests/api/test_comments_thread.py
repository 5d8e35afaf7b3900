"""GET /v1/articles/{slug}/comments, counts, and the article's include=comments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.comment_fixtures import Site, open_site, set_status


async def thread(site: Site, slug: str = "post", **params: Any) -> dict[str, Any]:
    answer = await site.client.get(f"/v1/articles/{slug}/comments", params=params)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    assert set(page) == {"items", "next_cursor", "total"}
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


async def comment_count(site: Site, slug: str = "post") -> int:
    count: int = (await site.client.get(f"/v1/articles/{slug}")).json()["comment_count"]
    return count


async def build_threads(site: Site) -> dict[str, str]:
    """A(B's elder) with replies A1 (and its reply A1a) and A2; B with reply B1."""
    c: dict[str, str] = {}
    c["A"] = await site.approved(body="A")
    c["B"] = await site.approved(body="B")
    c["A1"] = await site.approved(body="A1", parent_id=c["A"])
    c["A2"] = await site.approved(body="A2", parent_id=c["A"])
    c["A1a"] = await site.approved(body="A1a", parent_id=c["A1"])
    c["B1"] = await site.approved(body="B1", parent_id=c["B"])
    return c


async def test_only_approved_comments_appear(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        shown = await site.approved(body="shown")
        await site.posted(body="pending")
        rejected = (await site.posted(body="rejected"))["comment"]["id"]
        await set_status(site.db_path, rejected, "rejected")
        spam = (await site.posted(body="spam"))["comment"]["id"]
        await set_status(site.db_path, spam, "spam")
        page = await thread(site)
        assert ids(page) == [shown]
        assert page["total"] == 1
        assert await comment_count(site) == 1


async def test_thread_order_is_flat_depth_first_replies_oldest_first(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        c = await build_threads(site)
        page = await thread(site)
        assert ids(page) == [c[k] for k in ("A", "A1", "A1a", "A2", "B", "B1")]
        shape = [(item["parent_id"], item["depth"]) for item in page["items"]]
        assert shape == [
            (None, 0), (c["A"], 1), (c["A1"], 2), (c["A"], 1), (None, 0), (c["B"], 1),
        ]  # fmt: skip
        assert page["total"] == 6
        assert page["next_cursor"] is None
        item = page["items"][0]
        assert set(item) == {
            "id", "parent_id", "depth", "author", "body_html", "created_at", "edited_at",
            "removed",
        }  # fmt: skip
        assert set(item["author"]) == {"name", "website", "avatar_key"}
        assert item["removed"] is False


async def test_sort_newest_orders_top_level_newest_first_replies_still_oldest(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path) as site:
        c = await build_threads(site)
        page = await thread(site, sort="newest")
        assert ids(page) == [c[k] for k in ("B", "B1", "A", "A1", "A1a", "A2")]


async def test_limit_counts_top_level_and_a_page_carries_all_replies(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        c = await build_threads(site)
        first = await thread(site, limit=1)
        assert ids(first) == [c[k] for k in ("A", "A1", "A1a", "A2")]
        assert first["next_cursor"] is not None
        second = await thread(site, limit=1, cursor=first["next_cursor"])
        assert ids(second) == [c["B"], c["B1"]]
        assert second["next_cursor"] is None
        assert first["total"] == second["total"] == 6


@pytest.mark.parametrize("sort", ["oldest", "newest"])
async def test_pages_neither_repeat_nor_skip_while_comments_are_approved(
    tmp_path: Path, sort: str
) -> None:
    async with open_site(tmp_path) as site:
        before = [await site.approved(body=f"top {i}") for i in range(5)]
        seen: list[str] = []
        page = await thread(site, sort=sort, limit=2)
        seen += ids(page)
        added: list[str] = []
        while page["next_cursor"] is not None:
            added.append(await site.approved(body=f"late {len(added)}"))
            page = await thread(site, sort=sort, limit=2, cursor=page["next_cursor"])
            seen += ids(page)
        assert len(seen) == len(set(seen)), "a comment was repeated"
        assert set(before) <= set(seen), "a comment was skipped"
        if sort == "oldest":
            assert seen == before + added  # every later approval is newer, so comes last


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"cursor": ""},
        {"sort": "best"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
    ],
)
async def test_bad_query_parameters_are_400(tmp_path: Path, params: dict[str, str]) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.client.get("/v1/articles/post/comments", params=params)
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_altered_or_foreign_cursor_is_400(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.article("other")
        for _ in range(3):
            await site.approved()
            await site.approved("other")
        cursor = (await thread(site, limit=1))["next_cursor"]
        assert cursor is not None
        altered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
        for bad, slug in [(altered, "post"), (cursor, "other")]:
            answer = await site.client.get(f"/v1/articles/{slug}/comments?cursor={bad}")
            assert answer.status_code == 400, (slug, answer.text)
        answer = await site.client.get(f"/v1/articles/post/comments?sort=newest&cursor={cursor}")
        assert answer.status_code == 400


async def test_unknown_or_draft_article_is_404(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.article("draft", status="draft")
        for slug in ("draft", "missing"):
            answer = await site.client.get(f"/v1/articles/{slug}/comments")
            assert answer.status_code == 404


async def test_total_and_comment_count_follow_approvals(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        first = await site.approved()
        await site.approved()
        await site.posted()
        assert (await thread(site))["total"] == await comment_count(site) == 2
        await set_status(site.db_path, first, "rejected")
        assert (await thread(site))["total"] == await comment_count(site) == 1
        listed = (await site.client.get("/v1/articles")).json()["items"]
        assert [a["comment_count"] for a in listed if a["slug"] == "post"] == [1]


async def test_owner_deleted_comment_with_approved_reply_stays_as_tombstone(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(body="parent")
        parent = receipt["comment"]["id"]
        await set_status(site.db_path, parent, "approved")
        reply = await site.approved(body="reply", parent_id=parent)
        gone = await site.client.delete(
            f"/v1/comments/{parent}", headers={"X-Edit-Token": receipt["edit_token"]}
        )
        assert gone.status_code == 204
        page = await thread(site)
        assert ids(page) == [parent, reply]
        tomb = page["items"][0]
        assert tomb["removed"] is True
        assert tomb["author"] is None and tomb["body_html"] is None
        assert page["items"][1]["parent_id"] == parent
        assert page["total"] == await comment_count(site) == 1


async def test_owner_deleted_comment_without_replies_disappears(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(body="alone")
        alone = receipt["comment"]["id"]
        await set_status(site.db_path, alone, "approved")
        pending_reply = await site.posted(body="pending reply", parent_id=alone)
        assert pending_reply["status"] == "pending"
        gone = await site.client.delete(
            f"/v1/comments/{alone}", headers={"X-Edit-Token": receipt["edit_token"]}
        )
        assert gone.status_code == 204
        page = await thread(site)
        assert page["items"] == []
        assert page["total"] == await comment_count(site) == 0


async def test_counts_for_several_articles(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.article("other")
        await site.article("draft", status="draft")
        await site.approved()
        await site.approved()
        await site.posted("other")
        answer = await site.client.get(
            "/v1/comments/counts",
            params=[("article", "post"), ("article", "other"), ("article", "unknown"),
                    ("article", "draft"), ("article", "Bad Slug!")],
        )  # fmt: skip
        assert answer.status_code == 200
        assert answer.json() == {
            "counts": {"post": 2, "other": 0, "unknown": 0, "draft": 0, "Bad Slug!": 0}
        }


async def test_counts_are_validated_by_etag_and_change_with_an_approval(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.approved()
        url = "/v1/comments/counts?article=post&article=unknown"
        first = await site.client.get(url)
        assert first.status_code == 200
        assert first.headers["cache-control"].startswith("public, max-age=")
        etag = first.headers["etag"]
        again = await site.client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.headers["etag"] == etag
        assert again.content == b""
        await site.approved()
        changed = await site.client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.json() == {"counts": {"post": 2, "unknown": 0}}
        assert changed.headers["etag"] != etag


async def test_counts_refuses_more_than_100_articles(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        ok = await site.client.get("/v1/comments/counts", params=[("article", "a")] * 100)
        assert ok.status_code == 200
        answer = await site.client.get("/v1/comments/counts", params=[("article", "a")] * 101)
        assert answer.status_code == 400
        assert {e["field"] for e in answer.json()["errors"]} == {"article"}


async def test_counts_without_an_article_names_the_missing_parameter(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.client.get("/v1/comments/counts")
        assert answer.status_code == 400
        assert answer.json()["detail"] == "the request has invalid parameters"
        assert answer.json()["errors"] == [{"field": "article", "message": "is required"}]
        schema = (await site.client.get("/schema/openapi.json")).json()
        (parameter,) = schema["paths"]["/v1/comments/counts"]["get"]["parameters"]
        assert parameter["name"] == "article" and parameter["required"] is True


async def test_include_comments_equals_the_standalone_first_page(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        for i in range(22):
            await site.approved(body=f"comment {i}")
        article = await site.client.get("/v1/articles/post?include=comments")
        assert article.status_code == 200
        included = article.json()["comments"]
        assert included == await thread(site)
        assert len(included["items"]) == 20 and included["next_cursor"] is not None
        assert article.json()["comment_count"] == included["total"] == 22
