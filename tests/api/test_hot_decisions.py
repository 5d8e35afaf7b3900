"""The hot decision layer (service/http/hot_decisions.py) answers as Litestar does.

Every comparison runs one request against two sites (tests/api/hot_layers.py):
one as served, one with the layer taken out. Each site gets the same pending
comment; its id differs between the sites, and so do the times, so a comment's
id and times are masked before two answers are compared.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import service.comments.moderating
import service.storage.tokens
from service.auth import Role, create_token, revoke_token
from service.errors import StorageUnavailable
from service.http.hot_decisions import hot_decisions
from tests.api import hot_layers
from tests.api.comment_fixtures import Site
from tests.api.hot_layers import RouterCalls, comparable, same_logged_500
from tests.api.test_log_hygiene import capturing
from tests.api.test_metrics import REQUESTS, scrape, value

ADDRESS = "reader@example.org"
_MASKED = ("id", "created_at", "edited_at", "moderated_at")


class Pair:
    """Both sites, a pending comment on each, and tokens that exist on both."""

    def __init__(self, served: Site, alone: Site, calls: RouterCalls) -> None:
        self.served, self.alone, self.calls = served, alone, calls
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    async def set_up(self) -> None:
        for role in (Role.MODERATOR, Role.EDITOR):
            # Tokens are random: each site gets its own, under the same name.
            for site in (self.served, self.alone):
                self.tokens[f"{role.value}@{id(site)}"] = await create_token(
                    site.db, role.value, role
                )
        for site in (self.served, self.alone):
            receipt = await site.posted(email=ADDRESS, body="Worth *approving*.")
            self.ids[str(id(site))] = receipt["comment"]["id"]

    def path(self, site: Site, verb: str) -> str:
        return f"/v1/moderation/comments/{self.ids[str(id(site))]}/{verb}"

    def auth(self, site: Site, role: Role = Role.MODERATOR) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[f'{role.value}@{id(site)}']}"}

    async def both(
        self,
        verb: str,
        *,
        role: Role | None = Role.MODERATOR,
        path: str | None = None,
        **request: Any,
    ) -> tuple[httpx.Response, httpx.Response, int]:
        """The same decision on both sites: both answers, and how many reached the router."""
        extra_headers = request.pop("headers", {})
        answers = []
        before = self.calls.count
        for site in (self.served, self.alone):
            headers = {**extra_headers, **(self.auth(site, role) if role is not None else {})}
            url = path if path is not None else self.path(site, verb)
            answers.append(await site.client.post(url, headers=headers, **request))
        return answers[0], answers[1], self.calls.count - before

    async def vouch(self) -> None:
        """One decision with the moderator's tokens, on a comment nobody has: the
        layer has then seen them pass the guard's check, and checks them inside
        the writes of later decisions."""
        fast, reference, routed = await self.both("approve", path=UNKNOWN)
        assert (fast.status_code, reference.status_code, routed) == (404, 404, 0)


UNKNOWN = "/v1/moderation/comments/0000000000000000000000/approve"


@asynccontextmanager
async def pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> AsyncIterator[Pair]:
    async with hot_layers.two_sites(tmp_path, monkeypatch, hot_decisions, **settings) as sites:
        p = Pair(*sites)
        await p.set_up()
        p.calls.count = 0
        yield p


def masked(answer: httpx.Response) -> Any:
    document = answer.json()
    if isinstance(document, dict) and "id" in document:
        return {k: ("…" if k in _MASKED and v is not None else v) for k, v in document.items()}
    return document


def same_answer(fast: httpx.Response, reference: httpx.Response) -> None:
    assert fast.status_code == reference.status_code, fast.text
    assert comparable(fast) == comparable(reference)
    if fast.status_code == 200:
        assert masked(fast) == masked(reference)
    else:
        assert fast.content == reference.content


@pytest.mark.parametrize(
    ("verb", "request_args", "status"),
    [
        pytest.param("approve", {}, 200, id="approve-no-body"),
        pytest.param("approve", {"content": b"   "}, 200, id="approve-blank-body"),
        pytest.param("approve", {"json": {"note": "fine"}}, 200, id="approve-with-note"),
        pytest.param("reject", {"json": {"version": 1}}, 200, id="reject-at-version"),
        pytest.param("spam", {"json": {}}, 200, id="spam"),
        pytest.param("approve", {"json": {"version": 7}}, 409, id="stale-version"),
        pytest.param("approve", {"json": {"verdict": "yes"}}, 400, id="unknown-field"),
        pytest.param("approve", {"json": {"version": 0}}, 400, id="bad-version"),
        pytest.param(
            "approve",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
            id="not-json",
        ),
        pytest.param(
            "approve",
            {"content": b"{}", "headers": {"content-type": "application/json; charset=utf-8"}},
            200,
            id="json-with-parameters",
        ),
    ],
)
@pytest.mark.parametrize("vouched", [False, True], ids=["first-use", "vouched"])
async def test_decisions_are_answered_by_the_layer_as_litestar_answers_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    verb: str,
    request_args: dict[str, Any],
    status: int,
    vouched: bool,
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        if vouched:
            await p.vouch()
        fast, reference, routed = await p.both(verb, **request_args)
        assert routed == 0, "the decision reached the router"
        assert fast.status_code == status
        same_answer(fast, reference)
        statuses = [s.query("SELECT status FROM comments") for s in (p.served, p.alone)]
        assert statuses[0] == statuses[1]


async def test_unknown_and_malformed_ids_and_repeats_are_answered_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        for path in (UNKNOWN, "/v1/moderation/comments/not-an-id/approve"):
            fast, reference, routed = await p.both("approve", path=path)
            assert (routed, fast.status_code) == (0, 404)
            same_answer(fast, reference)
        first = await p.both("approve")
        again = await p.both("approve")  # a no-op: already approved
        back = await p.both("reject")
        for fast, reference, routed in (first, again, back):
            assert (routed, fast.status_code) == (0, 200)
            same_answer(fast, reference)
        audit = [
            s.query("SELECT action, actor FROM audit_log ORDER BY id") for s in (p.served, p.alone)
        ]
        assert audit[0] == audit[1]
        assert ("approve", "moderator") in audit[0]


@pytest.mark.parametrize(
    ("role", "headers", "status"),
    [
        pytest.param(None, {}, 401, id="no-token"),
        pytest.param(
            None, {"Authorization": "Bearer byl_not-a-real-token"}, 401, id="unknown-token"
        ),
        pytest.param(None, {"Authorization": "Basic dXNlcjpwYXNz"}, 401, id="not-bearer"),
        pytest.param(Role.EDITOR, {}, 403, id="editor"),
    ],
)
async def test_who_may_not_moderate_is_answered_by_litestar(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    role: Role | None,
    headers: dict[str, str],
    status: int,
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        fast, reference, routed = await p.both("approve", role=role, headers=headers)
        assert (routed, fast.status_code) == (1, status)
        same_answer(fast, reference)


async def body_in_two(body: bytes) -> AsyncIterator[bytes]:
    yield body[:1]
    yield body[1:]


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        pytest.param({"content": b'{"note": "x"}'}, 415, id="no-content-type"),
        pytest.param(
            {"content": b'{"note": "x"}', "headers": {"content-type": "text/plain"}},
            415,
            id="text-plain",
        ),
        pytest.param({"json": {"note": "x" * 3000}}, 413, id="over-the-limit"),
    ],
)
async def test_what_the_layer_does_not_take_goes_to_litestar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_args: dict[str, Any], status: int
) -> None:
    async with pair(tmp_path, monkeypatch, admin_max_body_bytes=2048) as p:
        fast, reference, routed = await p.both("approve", **request_args)
        assert (routed, fast.status_code) == (1, status)
        same_answer(fast, reference)


async def test_a_chunked_body_goes_to_litestar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        answers = []
        for site in (p.served, p.alone):
            headers = {**p.auth(site), "content-type": "application/json"}
            content = body_in_two(json.dumps({"note": "in pieces"}).encode())
            answers.append(
                await site.client.post(p.path(site, "approve"), headers=headers, content=content)
            )
        assert p.calls.count == 1
        same_answer(answers[0], answers[1])
        assert answers[0].status_code == 200


async def test_an_unexpected_error_is_a_logged_500_without_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"cannot decide for {ADDRESS}")

    async with pair(tmp_path, monkeypatch) as p:
        monkeypatch.setattr(service.comments.moderating, "moderate", broken)
        with capturing() as capture:
            fast, reference, routed = await p.both("approve")
        assert routed == 0
        same_logged_500(fast, reference, capture.lines(), ADDRESS)


async def test_decisions_are_counted_in_the_metrics_under_litestars_route_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        await p.both("approve")
        await p.both("spam", json={"version": 99})
        assert p.calls.count == 0
        for verb, status in (("approve", "2xx"), ("spam", "4xx")):
            route = {"method": "POST", "route": f"/v1/moderation/comments/{{comment_id}}/{verb}"}
            counts = [
                value(await scrape(site), REQUESTS, **route, status=status)
                for site in (p.served, p.alone)
            ]
            assert counts == [1, 1]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        pytest.param(StorageUnavailable(), 503, id="storage-unavailable"),
        pytest.param(sqlite3.OperationalError("disk I/O error"), 500, id="disk-error"),
    ],
)
@pytest.mark.parametrize("vouched", [False, True], ids=["first-use", "vouched"])
async def test_a_token_check_that_fails_is_left_to_litestars_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int, vouched: bool
) -> None:
    async def broken(*args: object) -> None:
        raise error

    async with pair(tmp_path, monkeypatch) as p:
        if vouched:
            await p.vouch()
        monkeypatch.setattr(service.storage.tokens, "find_live_token", broken)
        with capturing() as capture:
            fast, reference, routed = await p.both("approve")
        assert (routed, fast.status_code, reference.status_code) == (1, status, status)
        assert comparable(fast) == comparable(reference)
        if status == 503:
            assert fast.content == reference.content
        logged = [
            line for line in capture.lines() if "storage unavailable" in line or "unhandled" in line
        ]
        assert len(logged) == 2  # once per site


@pytest.mark.parametrize("root_path", ["/blog", "/v1"])
async def test_under_a_root_path_the_router_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root_path: str
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        answers = []
        for site in (p.served, p.alone):
            transport = httpx.ASGITransport(app=hot_layers.app_of(site), root_path=root_path)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                answers.append(await client.post(p.path(site, "approve"), headers=p.auth(site)))
        assert p.calls.count == 1
        same_answer(answers[0], answers[1])


@pytest.mark.parametrize(
    "request_args",
    [
        pytest.param({}, id="no-body"),
        pytest.param({"json": {"verdict": "yes"}}, id="bad-body"),
        pytest.param({"json": {"version": 7}}, id="stale-version"),
    ],
)
async def test_a_token_revoked_after_use_gets_litestars_401_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_args: dict[str, Any]
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        await p.vouch()
        for site in (p.served, p.alone):
            await revoke_token(site.db, Role.MODERATOR.value)
        with capturing() as capture:
            fast, reference, routed = await p.both("approve", **request_args)
        # The 401 comes before any complaint about the body, as the guard's does.
        assert (routed, fast.status_code) == (1, 401)
        same_answer(fast, reference)
        refused = [line for line in capture.lines() if "unknown or revoked token" in line]
        assert len(refused) == 2  # once per site
        for site in (p.served, p.alone):
            assert site.query("SELECT status FROM comments") == [("pending",)]
            assert site.query("SELECT count(*) FROM audit_log WHERE action = 'approve'") == [(0,)]
        # Found revoked, the token is no longer taken on trust: not even the write sees it.
        writes = count_writes(p.served, monkeypatch)
        again, _, routed = await p.both("approve")
        assert (routed, again.status_code, writes.count) == (1, 401, 0)


async def test_a_token_that_never_authenticated_never_reaches_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        await p.vouch()
        writes = count_writes(p.served, monkeypatch)
        for attempt in range(3):
            fast, reference, routed = await p.both(
                "approve", role=None, headers={"Authorization": f"Bearer byl_guess-{attempt}"}
            )
            assert (routed, fast.status_code) == (1, 401)
            same_answer(fast, reference)
        assert writes.count == 0
        fast, _, _ = await p.both("approve")
        assert (fast.status_code, writes.count) == (200, 1)


class Writes:
    count = 0


def count_writes(site: Site, monkeypatch: pytest.MonkeyPatch, *, refuse: bool = False) -> Writes:
    """Counts the site's writes from now on; with `refuse`, the writer cannot start
    any of them (as when another process holds the lock past the busy timeout)."""
    writes = Writes()
    write = site.db.write

    async def counted(job: Any) -> Any:
        writes.count += 1
        if refuse:
            raise StorageUnavailable()
        return await write(job)

    monkeypatch.setattr(site.db, "write", counted)
    return writes


async def test_a_writer_that_cannot_start_is_answered_once_for_a_vouched_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pair(tmp_path, monkeypatch) as p:
        await p.vouch()
        writes = [count_writes(site, monkeypatch, refuse=True) for site in (p.served, p.alone)]
        fast, reference, routed = await p.both("approve")
        # The token is still good, so the 503 is the answer; handing on would make
        # Litestar queue the same write again.
        assert (routed, fast.status_code) == (0, 503)
        same_answer(fast, reference)
        assert [w.count for w in writes] == [1, 1]
