"""The hot POST layer (service/http/hot_posts.py) answers exactly as Litestar does.

Every comparison runs one request against two sites (tests/api/hot_layers.py):
one as served, one with the layer taken out.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.types import ASGIApp, Message

import service.app
import service.comments.posting
from service.http.hot_posts import hot_posts
from tests.api import hot_layers
from tests.api.comment_fixtures import Site, open_site
from tests.api.hot_layers import RouterCalls, app_of, comparable, same_logged_500
from tests.api.test_log_hygiene import capturing
from tests.api.test_metrics import REQUESTS, scrape, value

URL = "/v1/articles/post/comments"
ADDRESS = "reader@example.org"
VALID = {"name": "Reader", "email": ADDRESS, "body": "A *kind* comment."}


@asynccontextmanager
async def two_sites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> AsyncIterator[tuple[Site, Site, RouterCalls]]:
    async with hot_layers.two_sites(tmp_path, monkeypatch, hot_posts, **settings) as sites:
        yield sites


async def both(
    served: Site, alone: Site, calls: RouterCalls, url: str = URL, **request: Any
) -> tuple[httpx.Response, httpx.Response, int]:
    """The same POST to both sites: both answers, and how many reached the router."""
    before = calls.count
    fast = await served.client.post(url, **request)
    reference = await alone.client.post(url, **request)
    return fast, reference, calls.count - before


def same_receipt(fast: httpx.Response, reference: httpx.Response) -> None:
    """Receipts differ only where they must: ids, tokens and times are each post's own."""
    assert comparable(fast) == comparable(reference)
    mine, theirs = fast.json(), reference.json()
    assert mine.keys() == theirs.keys() and mine["comment"].keys() == theirs["comment"].keys()
    assert mine["status"] == theirs["status"] == "pending"
    for key in ("body_html", "author", "depth", "parent_id", "removed"):
        if key == "author":
            assert mine["comment"][key]["name"] == theirs["comment"][key]["name"]
        else:
            assert mine["comment"][key] == theirs["comment"][key]


@pytest.mark.parametrize(
    ("url", "request_args", "status"),
    [
        pytest.param(URL, {"json": VALID}, 202, id="accepted"),
        pytest.param(URL, {"json": {**VALID, "trap": "bot"}}, 202, id="honeypot-answers-alike"),
        pytest.param(URL, {"json": {**VALID, "name": ""}}, 400, id="field-errors"),
        pytest.param(URL, {"json": {**VALID, "email": "nope"}}, 400, id="bad-address"),
        pytest.param(URL, {"json": [VALID]}, 400, id="not-an-object"),
        pytest.param(
            URL,
            {
                "content": b'{"name": "a", "name": "b"}',
                "headers": {"content-type": "application/json"},
            },
            400,
            id="duplicate-keys",
        ),
        pytest.param(
            URL,
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
            id="not-json",
        ),
        pytest.param(
            URL,
            {"content": b"[" * 40 + b"]" * 40, "headers": {"content-type": "application/json"}},
            400,
            id="too-deep",
        ),
        pytest.param(
            URL,
            {"content": b'{"name": "\xff"}', "headers": {"content-type": "application/json"}},
            400,
            id="not-utf8",
        ),
        pytest.param(
            URL,
            {"json": VALID, "headers": {"content-type": "Application/JSON; charset=utf-8"}},
            202,
            id="json-with-parameters",
        ),
        pytest.param("/v1/articles/nope/comments", {"json": VALID}, 404, id="no-such-article"),
        pytest.param("/v1/articles/closed/comments", {"json": VALID}, 403, id="closed"),
    ],
)
async def test_posts_are_answered_by_the_layer_as_litestar_answers_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    request_args: dict[str, Any],
    status: int,
) -> None:
    async with two_sites(tmp_path, monkeypatch) as (served, alone, calls):
        fast, reference, routed = await both(served, alone, calls, url, **request_args)
        assert routed == 0, "the post reached the router"
        assert fast.status_code == reference.status_code == status, fast.text
        if status == 202:
            same_receipt(fast, reference)
        else:
            assert fast.content == reference.content
            assert comparable(fast) == comparable(reference)
        assert ADDRESS not in fast.text
        assert served.count() == alone.count()


async def test_floods_and_duplicates_are_refused_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"post_min_interval_seconds": 60, "duplicate_window_seconds": 600}
    async with two_sites(tmp_path, monkeypatch, **settings) as (served, alone, calls):
        first = await both(served, alone, calls, json=VALID)
        assert first[0].status_code == first[1].status_code == 202
        again = await both(served, alone, calls, json=VALID)
        assert again[2] == 0
        assert again[0].status_code == again[1].status_code == 429
        # The two sites' first posts may fall either side of a second: their
        # waits may differ by that second, and by nothing else.
        waits = [int(answer.headers["retry-after"]) for answer in again[:2]]
        assert abs(waits[0] - waits[1]) <= 1 and 58 <= min(waits) <= 60
        without_wait = [
            [(k, v) for k, v in comparable(answer) if k != "retry-after"] for answer in again[:2]
        ]
        assert without_wait[0] == without_wait[1]
        assert again[0].content == again[1].content

    async with two_sites(tmp_path / "dup", monkeypatch, duplicate_window_seconds=600) as sites:
        served, alone, calls = sites
        await both(served, alone, calls, json=VALID)
        duplicate = await both(served, alone, calls, json={**VALID, "name": "Other"})
        assert duplicate[0].status_code == duplicate[1].status_code == 409
        assert duplicate[0].content == duplicate[1].content and duplicate[2] == 0


async def chunked(body: bytes) -> AsyncIterator[bytes]:
    yield body[:10]
    yield body[10:]


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        pytest.param({"content": json.dumps(VALID).encode()}, 415, id="no-content-type"),
        pytest.param(
            {"content": json.dumps(VALID), "headers": {"content-type": "text/plain"}},
            415,
            id="text-plain",
        ),
        pytest.param(
            {
                "content": chunked(json.dumps(VALID).encode()),
                "headers": {"content-type": "application/json"},
            },
            202,
            id="chunked-no-length",
        ),
        pytest.param({"json": {**VALID, "body": "x" * 70_000}}, 413, id="over-the-route-limit"),
        pytest.param({"json": {**VALID, "body": "x" * 3_000}}, 413, id="over-the-setting"),
    ],
)
async def test_what_the_layer_does_not_take_goes_to_litestar_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_args: dict[str, Any], status: int
) -> None:
    async with two_sites(tmp_path, monkeypatch, comment_max_body_bytes=2048) as sites:
        served, alone, calls = sites
        before = calls.count
        fast = await served.client.post(URL, **request_args)
        assert calls.count == before + 1
        if "content" in request_args and not isinstance(request_args["content"], (bytes, str)):
            request_args["content"] = chunked(json.dumps(VALID).encode())  # spent above
        reference = await alone.client.post(URL, **request_args)
        assert fast.status_code == reference.status_code == status, fast.text
        if status != 202:
            assert fast.content == reference.content
            assert comparable(fast) == comparable(reference)


async def test_posts_over_the_in_flight_limit_get_litestars_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_sites(tmp_path, monkeypatch, max_posts_in_flight=1) as sites:
        served, alone, calls = sites
        served_services = app_of(served).state.services  # type: ignore[attr-defined]
        alone_services = app_of(alone).state.services  # type: ignore[attr-defined]
        served_services.posts_in_flight = alone_services.posts_in_flight = 1
        fast, reference, routed = await both(served, alone, calls, json=VALID)
        assert routed == 1
        assert fast.status_code == reference.status_code == 503
        assert fast.content == reference.content
        assert comparable(fast) == comparable(reference)
        served_services.posts_in_flight = alone_services.posts_in_flight = 0
        assert (await both(served, alone, calls, json=VALID))[0].status_code == 202


async def test_paths_that_are_not_plain_slugs_go_to_litestar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_sites(tmp_path, monkeypatch) as (served, alone, calls):
        for url in ("/v1/articles/Not%20A%20Slug/comments", "/v1/articles/post/comments/"):
            fast, reference, routed = await both(served, alone, calls, url, json=VALID)
            assert routed == 1
            assert fast.status_code == reference.status_code
            if fast.status_code == 202:  # Litestar takes the trailing slash
                same_receipt(fast, reference)
            else:
                assert fast.content == reference.content
        put = await served.client.put(URL, json=VALID)
        assert put.status_code == 405


async def test_an_unexpected_error_is_a_logged_500_without_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError(f"cannot store {ADDRESS}")

    async with two_sites(tmp_path, monkeypatch) as (served, alone, calls):
        monkeypatch.setattr(service.comments.posting, "submit", broken)
        with capturing() as capture:
            fast, reference, routed = await both(served, alone, calls, json=VALID)
        assert routed == 0
        same_logged_500(fast, reference, capture.lines(), ADDRESS)


async def test_behind_a_trusted_proxy_the_forwarded_client_is_rate_limited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxies = (ipaddress.ip_network("127.0.0.0/8"),)
    settings = {"post_min_interval_seconds": 60, "trusted_proxies": proxies}
    async with two_sites(tmp_path, monkeypatch, **settings) as (served, _, calls):
        one, other = {"x-forwarded-for": "203.0.113.5"}, {"x-forwarded-for": "203.0.113.6"}
        answers = [
            await served.client.post(URL, json={**VALID, "email": f"r{n}@example.org"}, headers=h)
            for n, h in enumerate((one, other, one))
        ]
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert calls.count == 0


async def asgi_post(
    app: ASGIApp, chunks: list[Message], announced: int
) -> tuple[int, list[Message]]:
    """A POST driven by hand: the body arrives as `chunks`, whatever was announced."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(announced).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    return sent[0]["status"], sent


async def test_a_body_in_pieces_is_read_whole_and_one_past_the_limit_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = RouterCalls(hot_posts)
    monkeypatch.setattr(service.app, "hot_posts", calls.wrap)
    async with open_site(tmp_path, comment_max_body_bytes=2048) as site:
        app = app_of(site)
        body = json.dumps(VALID).encode()
        pieces = [
            {"type": "http.request", "body": body[:7], "more_body": True},
            {"type": "http.request", "body": body[7:20], "more_body": True},
            {"type": "http.request", "body": body[20:], "more_body": False},
        ]
        set_up = calls.count
        status, _ = await asgi_post(app, pieces, len(body))
        assert (status, calls.count) == (202, set_up)

        # Announced small, sent large: the layer stops past the limit and hands
        # everything read so far, then the rest, to Litestar, which refuses it.
        large = {**VALID, "body": "y" * 2_500}
        raw = json.dumps(large).encode()
        pieces = [
            {"type": "http.request", "body": raw[:1500], "more_body": True},
            {"type": "http.request", "body": raw[1500:], "more_body": False},
        ]
        status, sent = await asgi_post(app, pieces, 100)
        assert (status, calls.count) == (413, set_up + 1)
        assert json.loads(sent[1]["body"])["type"] == "/problems/body_too_large"
        assert site.count() == 1


async def test_a_client_gone_mid_body_is_left_to_litestar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = RouterCalls(hot_posts)
    monkeypatch.setattr(service.app, "hot_posts", calls.wrap)
    async with open_site(tmp_path) as site:
        app = app_of(site)
        pieces = [{"type": "http.request", "body": b'{"name": ', "more_body": True}]
        set_up = calls.count
        with capturing() as capture:
            status, sent = await asgi_post(app, pieces, 60)
        assert calls.count == set_up + 1
        assert status == 400  # the client's doing: never a 500
        assert b"disconnected" in sent[1]["body"]
        assert not [r for r in capture.records if r.levelno >= logging.WARNING]
        assert site.count() == 0


async def test_hot_posts_are_counted_in_the_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_sites(tmp_path, monkeypatch) as (served, _, calls):
        await served.client.post(URL, json=VALID)
        await served.client.post(URL, json={**VALID, "name": ""})
        await served.client.post("/v1/articles/nope/comments", json=VALID)
        assert calls.count == 0
        text = await scrape(served)
        route = {"method": "POST", "route": "/v1/articles/{slug}/comments"}
        assert value(text, REQUESTS, **route, status="2xx") == 1
        assert value(text, REQUESTS, **route, status="4xx") == 2


@pytest.mark.parametrize("root_path", ["/blog", "/v1"])
async def test_under_a_root_path_the_router_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root_path: str
) -> None:
    async with two_sites(tmp_path, monkeypatch) as (served, alone, calls):
        answers = []
        for site in (served, alone):
            transport = httpx.ASGITransport(app=app_of(site), root_path=root_path)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                answers.append(await client.post(URL, json=VALID))
        assert calls.count == 1
        assert answers[0].status_code == answers[1].status_code
        if answers[0].status_code == 202:
            same_receipt(answers[0], answers[1])
        else:
            assert answers[0].content == answers[1].content
