"""The commenter's own comment with X-Edit-Token: read, edit, delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api.comment_fixtures import open_site, set_status

RECEIPT_KEYS = {"comment", "status"}


def token(value: str) -> dict[str, str]:
    return {"X-Edit-Token": value}


@pytest.mark.parametrize(
    ("status", "shown_as"),
    [
        ("pending", "pending"),
        ("approved", "approved"),
        ("rejected", "rejected"),
        ("spam", "pending"),
    ],
)
async def test_owner_reads_own_comment_in_any_status(
    tmp_path: Path, status: str, shown_as: str
) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted()
        cid = receipt["comment"]["id"]
        await set_status(site.db_path, cid, status)
        answer = await site.client.get(f"/v1/comments/{cid}", headers=token(receipt["edit_token"]))
        assert answer.status_code == 200
        assert set(answer.json()) == RECEIPT_KEYS
        assert answer.json()["status"] == shown_as
        assert answer.json()["comment"]["id"] == cid
        assert answer.headers["cache-control"] == "no-store"


async def test_no_token_is_401_for_every_method(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        cid = (await site.posted())["comment"]["id"]
        url = f"/v1/comments/{cid}"
        assert (await site.client.get(url)).status_code == 401
        assert (await site.client.patch(url, json={"body": "x"})).status_code == 401
        assert (await site.client.delete(url)).status_code == 401
        assert site.query("SELECT body FROM comments") == [("A comment.",)]


async def test_wrong_token_is_404_on_get_and_403_on_changes(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        mine = await site.posted()
        theirs = await site.posted(body="theirs", email="other@example.org")
        url = f"/v1/comments/{mine['comment']['id']}"
        for wrong in ("not-a-token", theirs["edit_token"]):
            assert (await site.client.get(url, headers=token(wrong))).status_code == 404
            patched = await site.client.patch(url, json={"body": "hijack"}, headers=token(wrong))
            assert patched.status_code == 403
            assert (await site.client.delete(url, headers=token(wrong))).status_code == 403
        missing = await site.client.get("/v1/comments/AAAAAAAAAAAAAAAA", headers=token("x"))
        assert missing.status_code == 404
        assert site.count() == 2
        assert site.query("SELECT body FROM comments ORDER BY id") == [("A comment.",), ("theirs",)]


async def test_expired_token_is_404_on_get_and_403_on_changes(tmp_path: Path) -> None:
    async with open_site(tmp_path, edit_window_seconds=0) as site:
        receipt = await site.posted()
        url = f"/v1/comments/{receipt['comment']['id']}"
        headers = token(receipt["edit_token"])
        assert (await site.client.get(url, headers=headers)).status_code == 404
        patched = await site.client.patch(url, json={"body": "late"}, headers=headers)
        assert patched.status_code == 403
        assert (await site.client.delete(url, headers=headers)).status_code == 403
        assert site.query("SELECT body FROM comments") == [("A comment.",)]


async def test_edit_rerenders_and_sends_an_approved_comment_back_to_the_queue(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(body="first *take*")
        cid = receipt["comment"]["id"]
        await set_status(site.db_path, cid, "approved")
        assert (await site.client.get("/v1/articles/post")).json()["comment_count"] == 1
        [(version_before,)] = site.query("SELECT version FROM comments")
        answer = await site.client.patch(
            f"/v1/comments/{cid}",
            json={"body": "second **take**", "name": "Renamed"},
            headers=token(receipt["edit_token"]),
        )
        assert answer.status_code == 200, answer.text
        edited = answer.json()
        assert set(edited) == RECEIPT_KEYS
        assert edited["status"] == "pending"
        assert edited["comment"]["body_html"] == "<p>second <strong>take</strong></p>"
        assert edited["comment"]["author"]["name"] == "Renamed"
        assert edited["comment"]["edited_at"] is not None
        thread = (await site.client.get("/v1/articles/post/comments")).json()
        assert thread["items"] == [] and thread["total"] == 0
        assert (await site.client.get("/v1/articles/post")).json()["comment_count"] == 0
        [(status, body, version)] = site.query("SELECT status, body, version FROM comments")
        assert (status, body) == ("pending", "second **take**")
        assert version > version_before
        audit = site.query(
            "SELECT actor, action, from_status, to_status FROM audit_log "
            "WHERE comment_id = ? AND action = 'edit'",
            (cid,),
        )
        assert audit == [("author", "edit", "approved", "pending")]


async def test_edit_of_spam_stays_spam(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted()
        cid = receipt["comment"]["id"]
        await set_status(site.db_path, cid, "spam")
        answer = await site.client.patch(
            f"/v1/comments/{cid}",
            json={"body": "innocent now"},
            headers=token(receipt["edit_token"]),
        )
        assert answer.status_code == 200
        assert answer.json()["status"] == "pending"  # spam reads as pending
        assert site.query("SELECT status FROM comments") == [("spam",)]


@pytest.mark.parametrize(
    "body",
    [{"body": "  "}, {"email": "new@example.org"}, {"status": "approved"}, {"name": "x" * 81}],
)
async def test_bad_edit_is_400_and_changes_nothing(tmp_path: Path, body: dict[str, str]) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted()
        answer = await site.client.patch(
            f"/v1/comments/{receipt['comment']['id']}",
            json=body,
            headers=token(receipt["edit_token"]),
        )
        assert answer.status_code == 400
        assert {e["field"] for e in answer.json()["errors"]} == set(body)
        assert site.query("SELECT name, body, edited_at FROM comments") == [
            ("Reader", "A comment.", None)
        ]


async def test_delete_answers_204_and_erases(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted()
        cid = receipt["comment"]["id"]
        await set_status(site.db_path, cid, "approved")
        headers = token(receipt["edit_token"])
        answer = await site.client.delete(f"/v1/comments/{cid}", headers=headers)
        assert answer.status_code == 204
        assert answer.content == b""
        assert site.count() == 0
        assert (await site.client.get(f"/v1/comments/{cid}", headers=headers)).status_code == 404
        assert (await site.client.get("/v1/articles/post")).json()["comment_count"] == 0
        audit = site.query("SELECT actor, action FROM audit_log WHERE comment_id = ?", (cid,))
        assert ("author", "delete") in audit


async def test_editing_a_comment_with_approved_replies_leaves_a_tombstone(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(body="parent")
        parent = receipt["comment"]["id"]
        await set_status(site.db_path, parent, "approved")
        reply = await site.approved(body="reply", parent_id=parent)
        answer = await site.client.patch(
            f"/v1/comments/{parent}",
            json={"body": "rewritten"},
            headers=token(receipt["edit_token"]),
        )
        assert answer.status_code == 200
        thread = (await site.client.get("/v1/articles/post/comments")).json()
        assert [(i["id"], i["removed"], i["body_html"]) for i in thread["items"]] == [
            (parent, True, None),
            (reply, False, "<p>reply</p>"),
        ]
        assert thread["total"] == 1
        await set_status(site.db_path, parent, "approved")
        thread = (await site.client.get("/v1/articles/post/comments")).json()
        assert thread["items"][0]["body_html"] == "<p>rewritten</p>"
        assert thread["total"] == 2


async def test_edit_with_a_bad_website_is_400(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted()
        answer = await site.client.patch(
            f"/v1/comments/{receipt['comment']['id']}",
            json={"website": "javascript:alert(1)"},
            headers=token(receipt["edit_token"]),
        )
        assert answer.status_code == 400
        assert {e["field"] for e in answer.json()["errors"]} == {"website"}
        assert site.query("SELECT website FROM comments") == [(None,)]


async def test_an_edit_keeps_the_flags_it_cannot_change(tmp_path: Path) -> None:
    # The trap is answered once, at posting; the address cannot be edited.
    async with open_site(tmp_path, moderation_terms=("crypto", "refund")) as site:
        trapped = await site.posted(trap="filled", body="hello")
        flagged = await site.posted(email="me@crypto.example", body="hello there")
        for receipt, body in ((trapped, "hello"), (flagged, "now about a refund")):
            answer = await site.client.patch(
                f"/v1/comments/{receipt['comment']['id']}",
                json={"body": body},
                headers=token(receipt["edit_token"]),
            )
            assert answer.status_code == 200
        rows = site.query("SELECT status, flags FROM comments ORDER BY id")
        assert [(status, [f["detail"] for f in json.loads(flags)]) for status, flags in rows] == [
            ("spam", ["the hidden trap field was filled in"]),
            (
                "pending",
                [
                    "e-mail address contains a moderation term: crypto",
                    "body contains a moderation term: refund",
                ],
            ),
        ]
