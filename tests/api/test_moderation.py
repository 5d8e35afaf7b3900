"""The moderator API through HTTP: the queue, decisions, bulk, erase, audit, privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.moderation_helpers import SLUG, Env, env_for_fixture

COMMENT_KEYS = {
    "id", "article", "parent_id", "status", "author", "body", "body_html",
    "created_at", "edited_at", "flags", "version",
}  # fmt: skip
AUDIT_KEYS = {"at", "actor", "comment_id", "action", "from_status", "to_status", "note"}
PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async with env_for_fixture(tmp_path) as running:
        yield running


async def comment_in(env: Env, status: str) -> str:
    """A comment brought to `status` through the API."""
    cid = await env.post_comment()
    action = {"pending": None, "approved": "approve", "rejected": "reject", "spam": "spam"}[status]
    if action is not None:
        assert (await env.act(cid, action)).status_code == 200
    return cid


async def audit_of(env: Env, cid: str) -> list[dict[str, object]]:
    response = await env.client.get(
        "/v1/moderation/audit", params={"comment_id": cid}, headers=env.auth()
    )
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()["items"]
    return [item for item in items if item["actor"] != "author"]


# Every (status, action) pair once: allowed, no-op (same state) or forbidden.
TRANSITIONS = [
    ("pending", "approve", "approved", 200),
    ("pending", "reject", "rejected", 200),
    ("pending", "spam", "spam", 200),
    ("approved", "approve", "approved", "noop"),
    ("approved", "reject", "rejected", 200),
    ("approved", "spam", "spam", 200),
    ("rejected", "approve", "approved", 200),
    ("rejected", "reject", "rejected", "noop"),
    ("rejected", "spam", "rejected", 409),
    ("spam", "approve", "approved", 200),
    ("spam", "reject", "spam", 409),
    ("spam", "spam", "spam", "noop"),
]


@pytest.mark.parametrize(("start", "action", "end", "outcome"), TRANSITIONS)
async def test_every_transition(
    env: Env, start: str, action: str, end: str, outcome: int | str
) -> None:
    cid = await comment_in(env, start)
    before = await audit_of(env, cid)
    response = await env.act(cid, action, note="checked")
    assert response.headers["cache-control"] == "no-store"
    after = await audit_of(env, cid)
    if outcome == 409:
        assert response.status_code == 409
        assert set(response.json()) == PROBLEM_KEYS
        assert after == before
    else:
        assert response.status_code == 200
        assert set(response.json()) == COMMENT_KEYS
        assert response.json()["status"] == end
        if outcome == "noop":
            assert after == before
        else:
            assert len(after) == len(before) + 1
            entry = after[0]
            assert set(entry) == AUDIT_KEYS
            assert (entry["action"], entry["from_status"], entry["to_status"]) == (
                action, start, end,
            )  # fmt: skip
            assert (entry["actor"], entry["note"]) == ("mod", "checked")
    rows = env.sql("SELECT status FROM comments WHERE public_id = ?", (cid,))
    assert rows == [(end,)]


async def test_stale_version_is_a_conflict(env: Env) -> None:
    cid = await env.post_comment()
    assert (await env.act(cid, "approve", version=1)).json()["version"] == 2
    stale = await env.act(cid, "reject", version=1)
    assert stale.status_code == 409
    assert env.sql("SELECT status FROM comments WHERE public_id = ?", (cid,)) == [("approved",)]
    assert (await env.act(cid, "reject", version=2)).status_code == 200


async def test_approve_publishes_and_reject_withdraws(env: Env) -> None:
    cid = await env.post_comment()
    article = await env.client.get(f"/v1/articles/{SLUG}")
    assert article.json()["comment_count"] == 0
    etag = article.headers["etag"]
    assert (await env.client.get(f"/v1/articles/{SLUG}/comments")).json()["items"] == []

    assert (await env.act(cid, "approve")).status_code == 200
    thread = (await env.client.get(f"/v1/articles/{SLUG}/comments")).json()
    assert [item["id"] for item in thread["items"]] == [cid]
    assert thread["total"] == 1
    article = await env.client.get(f"/v1/articles/{SLUG}")
    assert article.json()["comment_count"] == 1
    assert article.headers["etag"] != etag

    assert (await env.act(cid, "reject")).status_code == 200
    thread = (await env.client.get(f"/v1/articles/{SLUG}/comments")).json()
    assert (thread["items"], thread["total"]) == ([], 0)
    assert (await env.client.get(f"/v1/articles/{SLUG}")).json()["comment_count"] == 0


async def test_rejected_parent_with_approved_reply_is_a_tombstone(env: Env) -> None:
    parent = await comment_in(env, "approved")
    reply = await env.post_comment(parent_id=parent)
    assert (await env.act(reply, "approve")).status_code == 200
    assert (await env.act(parent, "reject")).status_code == 200
    items = (await env.client.get(f"/v1/articles/{SLUG}/comments")).json()["items"]
    assert [item["id"] for item in items] == [parent, reply]
    assert items[0]["removed"] is True
    assert (items[0]["author"], items[0]["body_html"]) == (None, None)
    assert (await env.client.get(f"/v1/articles/{SLUG}")).json()["comment_count"] == 1


async def test_queue_oldest_first_with_cursor_filters_and_stats(env: Env) -> None:
    ids = [await env.post_comment() for _ in range(3)]
    await comment_in(env, "spam")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await env.client.get("/v1/moderation/comments", params=params, headers=env.auth())
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        body = page.json()
        assert set(body) == {"items", "next_cursor", "queue"}
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == ids
    item = body["items"][0]
    assert set(item) == COMMENT_KEYS
    assert item["author"]["email"].endswith("@example.org")
    queue = body["queue"]
    assert (queue["pending"], queue["spam"], queue["approved"], queue["rejected"]) == (3, 1, 0, 0)
    assert queue["stale_pending"] == 0
    assert queue["oldest_pending_at"] is not None

    spam = await env.client.get("/v1/moderation/comments?status=spam", headers=env.auth())
    assert [i["status"] for i in spam.json()["items"]] == ["spam"]
    other = await env.client.get("/v1/moderation/comments?article=nope", headers=env.auth())
    assert other.json()["items"] == []


@pytest.mark.parametrize(
    "query",
    ["status=deleted", "status=PENDING", "limit=0", "limit=101", "cursor=abc.def", "cursor=x"],
)
async def test_queue_refuses_bad_parameters(env: Env, query: str) -> None:
    response = await env.client.get(f"/v1/moderation/comments?{query}", headers=env.auth())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_cursor_from_another_list_is_refused(env: Env) -> None:
    for _ in range(2):
        await comment_in(env, "spam")
    page = await env.client.get("/v1/moderation/comments?status=spam&limit=1", headers=env.auth())
    cursor = page.json()["next_cursor"]
    assert cursor is not None
    response = await env.client.get(
        "/v1/moderation/comments", params={"cursor": cursor}, headers=env.auth()
    )
    assert response.status_code == 400


@pytest.mark.parametrize("bad_id", ["5abc", "1" + "0" * 30, "AAAAAAAAAAAAAAAA", "a.b"])
async def test_unknown_and_malformed_ids_are_404(env: Env, bad_id: str) -> None:
    other = await env.post_comment()
    for response in (
        await env.client.get(f"/v1/moderation/comments/{bad_id}", headers=env.auth()),
        await env.act(bad_id, "approve"),
        await env.client.delete(f"/v1/moderation/comments/{bad_id}", headers=env.auth()),
    ):
        assert response.status_code == 404
        assert set(response.json()) == PROBLEM_KEYS
    assert env.sql("SELECT status, version FROM comments WHERE public_id = ?", (other,)) == [
        ("pending", 1)
    ]


async def test_an_empty_id_is_refused_without_a_change(env: Env) -> None:
    cid = await env.post_comment()
    response = await env.client.post("/v1/moderation/comments//approve", headers=env.auth())
    assert 400 <= response.status_code < 500
    assert env.sql("SELECT status FROM comments WHERE public_id = ?", (cid,)) == [("pending",)]


@pytest.mark.parametrize(
    "body",
    [
        {"note": "x" * 1001},
        {"note": 5},
        {"note": "bad \x00 note"},
        {"version": 0},
        {"version": "2"},
        {"version": True},
        {"status": "approved"},
    ],
)
async def test_malformed_decision_bodies_are_400(env: Env, body: dict[str, object]) -> None:
    cid = await env.post_comment()
    response = await env.act(cid, "approve", **body)
    assert response.status_code == 400
    assert response.json()["errors"]
    assert env.sql("SELECT status FROM comments WHERE public_id = ?", (cid,)) == [("pending",)]


async def test_bulk_answers_in_request_order_with_errors_per_id(env: Env) -> None:
    first, second = await env.post_comment(), await env.post_comment()
    rejected = await comment_in(env, "rejected")
    ids = [second, "5abc", rejected, first, ""]
    response = await env.client.post(
        "/v1/moderation/actions", json={"action": "spam", "ids": ids}, headers=env.auth()
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    results = response.json()["results"]
    assert [r["id"] for r in results] == ids
    assert [r["status"] for r in results] == ["spam", None, None, "spam", None]
    assert [r["error"] and r["error"]["status"] for r in results] == [None, 404, 409, None, 404]
    assert set(results[1]["error"]) == PROBLEM_KEYS
    statuses = dict(env.sql("SELECT public_id, status FROM comments"))
    assert (statuses[first], statuses[second], statuses[rejected]) == ("spam", "spam", "rejected")


@pytest.mark.parametrize(
    "body",
    [
        {"action": "approve", "ids": ["AAAAAAAAAAAAAAAA"] * 501},
        {"action": "approve", "ids": []},
        {"action": "delete", "ids": ["AAAAAAAAAAAAAAAA"]},
        {"action": "approve"},
        {"ids": ["AAAAAAAAAAAAAAAA"]},
        {"action": "approve", "ids": [1, 2]},
    ],
)
async def test_bad_bulk_requests_are_400(env: Env, body: dict[str, object]) -> None:
    response = await env.client.post("/v1/moderation/actions", json=body, headers=env.auth())
    assert response.status_code == 400
    assert response.json()["errors"]


async def test_bulk_of_500_is_accepted(env: Env) -> None:
    cid = await env.post_comment()
    ids = [cid] + ["AAAAAAAAAAAAAAAA"] * 499
    response = await env.client.post(
        "/v1/moderation/actions", json={"action": "approve", "ids": ids}, headers=env.auth()
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 500
    assert (await env.client.get(f"/v1/articles/{SLUG}")).json()["comment_count"] == 1


async def test_erase_removes_content_from_the_database(env: Env) -> None:
    cid = await env.post_comment("canary body text", email="canary.erase@example.org")
    response = await env.client.delete(f"/v1/moderation/comments/{cid}", headers=env.auth())
    assert response.status_code == 204
    assert response.headers["cache-control"] == "no-store"
    assert env.sql("SELECT 1 FROM comments WHERE public_id = ?", (cid,)) == []
    dump = repr(env.sql("SELECT * FROM comments")) + repr(env.sql("SELECT * FROM audit_log"))
    assert "canary" not in dump
    assert (
        await env.client.get(f"/v1/moderation/comments/{cid}", headers=env.auth())
    ).status_code == 404
    entries = await audit_of(env, cid)
    assert [(e["action"], e["from_status"], e["to_status"]) for e in entries] == [
        ("erase", "pending", None)
    ]


async def test_erase_keeps_a_contentless_tombstone_over_approved_replies(env: Env) -> None:
    parent = await env.post_comment("canary parent", email="canary.parent@example.org")
    assert (await env.act(parent, "approve")).status_code == 200
    reply = await env.post_comment(parent_id=parent)
    assert (await env.act(reply, "approve")).status_code == 200
    response = await env.client.delete(f"/v1/moderation/comments/{parent}", headers=env.auth())
    assert response.status_code == 204
    rows = env.sql(
        "SELECT removed, name, email, website, body, body_html FROM comments WHERE public_id = ?",
        (parent,),
    )
    assert rows == [(1, None, None, None, None, None)]
    assert "canary" not in repr(env.sql("SELECT * FROM comments"))
    items = (await env.client.get(f"/v1/articles/{SLUG}/comments")).json()["items"]
    assert [(i["id"], i["removed"]) for i in items] == [(parent, True), (reply, False)]
    assert (await env.client.get(f"/v1/articles/{SLUG}")).json()["comment_count"] == 1


async def test_audit_is_newest_first_and_paginates(env: Env) -> None:
    cid = await env.post_comment()
    for action in ("approve", "reject", "approve", "spam"):
        assert (await env.act(cid, action)).status_code == 200
    actions: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"comment_id": cid, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await env.client.get("/v1/moderation/audit", params=params, headers=env.auth())
        assert page.status_code == 200
        actions += [item["action"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert actions == ["spam", "approve", "reject", "approve", "submit"]
    bad = await env.client.get("/v1/moderation/audit?cursor=nope.nope", headers=env.auth())
    assert bad.status_code == 400


async def test_privacy_export_and_erase_match_the_address_case_insensitively(env: Env) -> None:
    mine = [
        await env.post_comment("canary one", email="Canary.Person@Example.ORG"),
        await env.post_comment("canary two", email="canary.person@example.org"),
    ]
    other = await env.post_comment("someone else", email="other@example.org")
    asked = {"email": "  CANARY.person@EXAMPLE.org "}
    export = await env.client.post(
        "/v1/moderation/privacy/export", json=asked, headers=env.auth("admin")
    )
    assert export.status_code == 200
    assert export.headers["cache-control"] == "no-store"
    body = export.json()
    assert set(body) == {"email", "comments"}
    assert body["email"] == "canary.person@example.org"
    assert [c["id"] for c in body["comments"]] == mine
    assert all(set(c) == COMMENT_KEYS for c in body["comments"])

    erase = await env.client.post(
        "/v1/moderation/privacy/erase", json=asked, headers=env.auth("admin")
    )
    assert (erase.status_code, erase.json()) == (200, {"erased": 2})
    assert "canary" not in repr(env.sql("SELECT * FROM comments")).lower()
    assert [r[0] for r in env.sql("SELECT public_id FROM comments")] == [other]
    erased = env.sql("SELECT comment_id, actor FROM audit_log WHERE action = 'erase'")
    assert sorted(erased) == sorted((cid, "admin") for cid in mine)
    again = await env.client.post(
        "/v1/moderation/privacy/export", json=asked, headers=env.auth("admin")
    )
    assert again.json()["comments"] == []


@pytest.mark.parametrize("body", [{"email": "not an address"}, {}, {"email": 3}, {"mail": "a@b.c"}])
async def test_privacy_requests_refuse_bad_bodies(env: Env, body: dict[str, object]) -> None:
    for path in ("/v1/moderation/privacy/export", "/v1/moderation/privacy/erase"):
        response = await env.client.post(path, json=body, headers=env.auth("admin"))
        assert response.status_code == 400
        assert "not an address" not in response.text


async def test_purge_erases_only_old_spam(env: Env) -> None:
    old, fresh = await comment_in(env, "spam"), await comment_in(env, "spam")
    pending = await env.post_comment()
    env.sql(
        "UPDATE comments SET moderated_at = '2000-01-01T00:00:00Z', "
        "created_at = '2000-01-01T00:00:00Z' WHERE public_id IN (?, ?)",
        (old, pending),
    )
    response = await env.client.post("/v1/moderation/housekeeping/purge-spam", headers=env.auth())
    assert (response.status_code, response.json()) == (200, {"purged": 1})
    remaining = dict(env.sql("SELECT public_id, status FROM comments"))
    assert remaining == {fresh: "spam", pending: "pending"}
    queue = (await env.client.get("/v1/moderation/comments", headers=env.auth())).json()["queue"]
    assert (queue["stale_pending"], queue["oldest_pending_at"]) == (1, "2000-01-01T00:00:00Z")
