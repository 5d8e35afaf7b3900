"""The hot-read layer (service/http/hot_reads.py) answers exactly as Litestar does.

Each app here counts the requests that reach Litestar's router behind the layer,
so every test knows which path answered. The Litestar reference for a URL is the
same request with its comma percent-encoded: the layer leaves encoded queries to
Litestar, which decodes them to the very same parameters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import service.app
import service.clock
import service.http.hot_reads
from service.http.hot_reads import hot_reads, query, understood
from tests.api.comment_fixtures import QUIET, open_site, set_status
from tests.api.hot_layers import RouterCalls
from tests.api.test_metrics import REQUESTS, scrape, value

PAGE = "/v1/articles/post?include=related,comments&limit=100"
LIST = "/v1/articles/post/comments?limit=100"
# The same requests as Litestar alone answers them (see the module docstring).
PAGE_VIA_LITESTAR = "/v1/articles/post?include=related%2Ccomments&limit=100"
LIST_VIA_LITESTAR = "/v1/articles/post/comments?limit=100&sort=%6Fldest"


@pytest.fixture
def router_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[RouterCalls]:
    calls = RouterCalls(hot_reads)
    monkeypatch.setattr(service.app, "hot_reads", calls.wrap)
    yield calls


def comparable(response: httpx.Response) -> list[tuple[str, str]]:
    """Every header, in order, but the request id (one per request by design)."""
    return [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]


@asynccontextmanager
async def worker(db_path: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another app on the same file: another worker process, as far as caches go."""
    app = service.app.create_app(replace(QUIET, database=db_path))
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_a_cached_page_and_list_are_the_same_bytes_and_headers_as_litestar_sends(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        await s.approved(body="First *comment*.")
        await s.approved(body="Second comment.")
        for fast_url, litestar_url in ((PAGE, PAGE_VIA_LITESTAR), (LIST, LIST_VIA_LITESTAR)):
            before = router_calls.count
            reference = await s.client.get(litestar_url)  # builds and caches the body
            assert router_calls.count == before + 1
            fast = await s.client.get(fast_url)
            assert router_calls.count == before + 1, "the cached read reached the router"

            assert reference.status_code == fast.status_code == 200
            assert fast.content == reference.content
            assert comparable(fast) == comparable(reference)
            assert fast.headers["x-request-id"] != reference.headers["x-request-id"]
            body = fast.json()
            assert len(body["comments"]["items"] if "comments" in body else body["items"]) == 2


async def test_if_none_match_is_answered_304_with_litestars_headers(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        await s.approved()
        etag = (await s.client.get(PAGE)).headers["etag"]
        before = router_calls.count
        reference = await s.client.get(PAGE_VIA_LITESTAR, headers={"If-None-Match": etag})
        fast = await s.client.get(PAGE, headers={"If-None-Match": etag})
        weak_list = await s.client.get(PAGE, headers={"If-None-Match": f'"x", {etag}'})
        other = await s.client.get(PAGE, headers={"If-None-Match": 'W/"not-this-one"'})

        assert router_calls.count == before + 1  # only the reference went to Litestar
        assert reference.status_code == fast.status_code == weak_list.status_code == 304
        assert fast.content == b""
        assert comparable(fast) == comparable(reference)
        assert fast.headers["etag"] == etag
        assert other.status_code == 200 and other.headers["etag"] == etag


async def test_a_change_through_another_worker_is_seen_at_once(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        first = await s.approved(body="First.")
        pending = (await s.posted(body="Second."))["comment"]["id"]
        page, listing = await s.client.get(PAGE), await s.client.get(LIST)
        calls = router_calls.count
        assert (await s.client.get(PAGE)).headers["etag"] == page.headers["etag"]
        assert router_calls.count == calls  # warm: served by the hot-read layer

        # Approved through another connection (what another worker's moderator does).
        await set_status(s.db_path, pending, "approved")
        page2 = await s.client.get(PAGE, headers={"If-None-Match": page.headers["etag"]})
        listing2 = await s.client.get(LIST, headers={"If-None-Match": listing.headers["etag"]})
        assert page2.status_code == listing2.status_code == 200
        assert [c["id"] for c in page2.json()["comments"]["items"]] == [first, pending]
        assert [c["id"] for c in listing2.json()["items"]] == [first, pending]

        # An editor changes the article through another worker's own app.
        async with worker(s.db_path) as other:
            edited = await other.put(
                "/v1/admin/articles/post",
                json={"title": "A new title", "body_markdown": "New text.", "author": "ada"},
                headers={"Authorization": f"Bearer {s.admin_token}"},
            )
            assert edited.status_code == 200, edited.text
        page3 = await s.client.get(PAGE, headers={"If-None-Match": page2.headers["etag"]})
        assert page3.status_code == 200
        assert page3.json()["title"] == "A new title"
        # And the new version is then served from the cache again.
        calls = router_calls.count
        assert (await s.client.get(PAGE)).content == page3.content
        assert router_calls.count == calls


async def test_a_scheduled_article_appears_when_its_time_comes(
    tmp_path: Path, router_calls: RouterCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    async with open_site(tmp_path) as s:
        answer = await s.client.put(
            "/v1/admin/articles/soon",
            json={
                "title": "Soon",
                "body_markdown": "Later.",
                "author": "ada",
                "published_at": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            headers={"Authorization": f"Bearer {s.admin_token}"},
        )
        assert answer.status_code == 201, answer.text
        for _ in range(2):  # asked twice: nothing about a missing article is remembered
            assert (await s.client.get("/v1/articles/soon")).status_code == 404
            assert (await s.client.get("/v1/articles/soon/comments")).status_code == 404

        monkeypatch.setattr(service.clock, "utc_now", lambda: due + timedelta(seconds=1))

        assert (await s.client.get("/v1/articles/soon")).status_code == 200
        calls = router_calls.count
        again = await s.client.get("/v1/articles/soon")
        assert again.status_code == 200 and again.json()["title"] == "Soon"
        assert router_calls.count == calls


@pytest.mark.parametrize(
    "url",
    [
        "/v1/articles/post?include=related,comments&limit=0",  # out of range: 400
        "/v1/articles/post?include=everything",  # 400
        "/v1/articles/post?include=related,",  # 400
        "/v1/articles/post?sort=sideways",  # 400
        "/v1/articles/post?limit=020",  # Litestar's to parse
        "/v1/articles/post?limit=5&limit=6",
        "/v1/articles/post?unknown=1",
        "/v1/articles/post/",
        "/v1/articles/post/comments?cursor=not-a-cursor",  # 400
        "/v1/articles/post/comments?limit=101",  # 400
        "/v1/articles/Not_A_Slug",  # 404
        "/v1/articles/missing",  # 404
    ],
)
async def test_what_the_layer_does_not_understand_goes_to_litestar(
    tmp_path: Path, router_calls: RouterCalls, url: str
) -> None:
    async with open_site(tmp_path) as s:
        first = await s.client.get(url)
        calls = router_calls.count
        second = await s.client.get(url)
        assert router_calls.count == calls + 1
        assert second.status_code == first.status_code
        assert second.content == first.content


async def test_an_error_in_the_layer_leaves_the_answer_to_litestar(
    tmp_path: Path, router_calls: RouterCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_site(tmp_path) as s:
        expected = await s.client.get(PAGE)

        async def broken(*args: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(service.http.hot_reads, "page_versions", broken)
        calls = router_calls.count
        answer = await s.client.get(PAGE)
        assert router_calls.count == calls + 1
        assert answer.status_code == 200 and answer.content == expected.content


async def test_long_request_lines_are_not_remembered(tmp_path: Path) -> None:
    async with open_site(tmp_path) as s:
        understood.cache_clear()
        await s.client.get(LIST)
        assert understood.cache_info().currsize == 1
        long = await s.client.get(LIST + "&cursor=" + "a" * 600)
        assert long.status_code == 400
        assert understood.cache_info().currsize == 1


async def test_only_gets_are_answered_and_a_head_is_one(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        await s.client.get(PAGE)
        calls = router_calls.count
        head = await s.client.head(PAGE)  # runs as a GET (service/http/head.py)
        assert router_calls.count == calls
        assert head.status_code == 200 and head.content == b""
        options = await s.client.options(PAGE)
        assert router_calls.count == calls + 1
        assert options.status_code == 204


async def test_hot_reads_are_counted_in_the_metrics(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        etag = (await s.client.get(PAGE)).headers["etag"]
        await s.client.get(LIST)
        calls = router_calls.count
        await s.client.get(PAGE)
        await s.client.get(PAGE, headers={"If-None-Match": etag})
        await s.client.get(LIST)
        assert router_calls.count == calls
        text = await scrape(s)
        page = {"method": "GET", "route": "/v1/articles/{slug}"}
        listing = {"method": "GET", "route": "/v1/articles/{slug}/comments"}
        assert value(text, REQUESTS, **page, status="2xx") == 2
        assert value(text, REQUESTS, **page, status="3xx") == 1
        assert value(text, REQUESTS, **listing, status="2xx") == 2


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (b"", {}),
        (b"limit=5&sort=newest", {"limit": "5", "sort": "newest"}),
        (b"limit=5&limit=5", None),
        (b"limit", None),
        (b"other=1", None),
        (b"sort=%6Fldest", None),
        (b"sort=a+b", None),
        (b"&limit=5", None),
    ],
)
def test_query_parsing_refuses_anything_unusual(raw: bytes, parsed: dict[str, str] | None) -> None:
    assert query(raw, frozenset({"limit", "sort"})) == parsed


async def test_under_a_root_path_the_router_decides(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        await s.client.get(PAGE)  # cached
        app = s.client._transport.app  # type: ignore[attr-defined]
        calls = router_calls.count
        transport = httpx.ASGITransport(app=app, root_path="/v1")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answer = await client.get(PAGE)
        assert router_calls.count == calls + 1
        assert answer.status_code == 404  # Litestar routes what follows the root path


async def test_a_cursor_the_list_never_gave_out_is_a_400_even_to_a_conditional_request(
    tmp_path: Path, router_calls: RouterCalls
) -> None:
    async with open_site(tmp_path) as s:
        for _ in range(3):
            await s.approved()
        newest = (await s.client.get("/v1/articles/post/comments?limit=1&sort=newest")).json()
        foreign = newest["next_cursor"]  # valid, but for the other order
        for cursor in ("bogus", foreign, foreign[:-2] + "xx"):
            for url in (f"{LIST}&cursor={cursor}", f"{LIST_VIA_LITESTAR}&cursor={cursor}"):
                for headers in ({}, {"If-None-Match": "*"}):
                    answer = await s.client.get(url, headers=headers)
                    assert answer.status_code == 400, (url, headers)
                    assert answer.json()["errors"][0]["field"] == "cursor"
        oldest = (await s.client.get(f"{LIST}&limit=1")).json()["next_cursor"]
        page_two = await s.client.get(f"/v1/articles/post/comments?limit=1&cursor={oldest}")
        assert page_two.status_code == 200
        again = await s.client.get(
            f"/v1/articles/post/comments?limit=1&cursor={oldest}", headers={"If-None-Match": "*"}
        )
        assert again.status_code == 304


async def test_remembered_etags_stay_bounded_whatever_cursors_clients_send(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path) as s:
        await s.approved()
        await s.approved()
        app = s.client._transport.app  # type: ignore[attr-defined]
        cache = app.state.services.cache
        cache._max_entries = 2  # a bound of 8 remembered ETags, to reach it quickly
        first = (await s.client.get(f"{LIST}&limit=1&sort=newest")).json()["next_cursor"]
        for n in range(40):
            # Valid spellings of one cursor (base64 skips what it does not know) and junk.
            for cursor, status in (
                (f"{first[:4]}{'~' * 4 * (n + 1)}{first[4:]}", 200),
                (f"junk{n}", 400),
            ):
                url = f"/v1/articles/post/comments?limit=1&sort=newest&cursor={cursor}"
                assert (await s.client.get(url)).status_code == status
                assert len(cache.etags) <= 8
                assert len(cache.facts) <= 8
