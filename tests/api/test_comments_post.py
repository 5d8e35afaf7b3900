"""POST /v1/articles/{slug}/comments: what is accepted, what is refused, what is stored."""

from __future__ import annotations

import ipaddress
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.api.comment_fixtures import open_site

RECEIPT_KEYS = {"comment", "status", "edit_token", "edit_expires_at"}
COMMENT_KEYS = {
    "id", "parent_id", "depth", "author", "body_html", "created_at", "edited_at", "removed",
}  # fmt: skip


def fields_of(answer: Any) -> set[str]:
    return {error["field"] for error in answer.json()["errors"]}


async def test_accepted_comment_answers_202_pending_with_a_token(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.post(website="https://reader.example")
        assert answer.status_code == 202
        receipt = answer.json()
        assert set(receipt) == RECEIPT_KEYS
        assert receipt["status"] == "pending"
        assert set(receipt["comment"]) == COMMENT_KEYS
        assert set(receipt["comment"]["author"]) == {"name", "website", "avatar_key"}
        assert len(receipt["edit_token"]) >= 22  # >= 128 bits of base64url
        rows = site.query("SELECT status, edit_token_hash FROM comments")
        assert rows[0][0] == "pending"
        assert rows[0][1] != receipt["edit_token"]


async def test_missing_name_and_email_are_both_named_in_one_answer(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.post(name=..., email=...)
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert fields_of(answer) == {"name", "email"}
        assert site.count() == 0


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "x" * 81}, "name"),
        ({"name": "  " + "é" * 81 + "  "}, "name"),
        ({"name": "   "}, "name"),
        ({"body": " \n\t "}, "body"),
        ({"name": "Bad\x00Name"}, "name"),
        ({"name": "Evil\u202eName"}, "name"),
        ({"name": "Evil\u2066Name"}, "name"),
        ({"body": "x" * 10_001}, "body"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b@example.org"}, "email"),
        ({"email": "x" * 250 + "@example.org"}, "email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "data:text/html,hi"}, "website"),
        ({"status": "approved"}, "status"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"parent_id": "AAAAAAAAAAAAAAAA"}, "parent_id"),
        ({"parent_id": 7}, "parent_id"),
        ({"name": 5}, "name"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    tmp_path: Path, fields: dict[str, Any], bad: str
) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.post(**fields)
        assert answer.status_code == 400, answer.text
        assert fields_of(answer) == {bad}
        assert site.count() == 0


async def test_name_length_counts_code_points_after_nfc(tmp_path: Path) -> None:
    # 80 "e" + combining acute: 160 code points as sent, 80 after NFC composes them.
    async with open_site(tmp_path) as site:
        receipt = await site.posted(name="e\u0301" * 80)
        assert receipt["comment"]["author"]["name"] == "é" * 80


async def test_over_long_name_is_refused_not_truncated(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.post(name="  " + "e\u0301" * 81 + "  ")
        assert answer.status_code == 400
        assert fields_of(answer) == {"name"}
        assert site.count() == 0


async def test_crlf_in_body_is_stored_as_lf(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.posted(body="first line\r\nsecond line\r\n\r\nnew paragraph")
        [(body,)] = site.query("SELECT body FROM comments")
        assert body == "first line\nsecond line\n\nnew paragraph"


async def test_name_is_trimmed_and_email_stored_normalized(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(name="  Reader  ", email="  Some.One@Example.ORG ")
        assert receipt["comment"]["author"]["name"] == "Reader"
        [(email,)] = site.query("SELECT email FROM comments")
        assert email == "some.one@example.org"


async def test_reply_to_a_pending_comment_is_refused_on_parent_id(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        pending = (await site.posted())["comment"]["id"]
        answer = await site.post(parent_id=pending, body="reply")
        assert answer.status_code == 400
        assert fields_of(answer) == {"parent_id"}
        assert site.count() == 1


async def test_reply_to_a_comment_of_another_article_is_refused(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.article("other")
        foreign = await site.approved("other")
        answer = await site.post(parent_id=foreign, body="reply")
        assert answer.status_code == 400
        assert fields_of(answer) == {"parent_id"}
        assert site.count() == 1


async def test_reply_to_an_approved_comment_is_accepted_one_level_deeper(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        parent = await site.approved()
        receipt = await site.posted(parent_id=parent, body="a reply")
        assert receipt["comment"]["parent_id"] == parent
        assert receipt["comment"]["depth"] == 1


async def test_reply_past_the_maximum_depth_is_refused(tmp_path: Path) -> None:
    async with open_site(tmp_path, max_reply_depth=1) as site:
        top = await site.approved()
        reply = await site.approved(parent_id=top, body="depth one")
        answer = await site.post(parent_id=reply, body="depth two")
        assert answer.status_code == 400
        assert fields_of(answer) == {"parent_id"}
        assert site.count() == 2


async def test_closed_comments_are_403(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.article("closed", comments_open=False)
        answer = await site.post("closed")
        assert answer.status_code == 403
        assert site.count() == 0


@pytest.mark.parametrize("slug", ["draft", "nowhere", "Not_A_Slug"])
async def test_draft_or_unknown_article_is_404(tmp_path: Path, slug: str) -> None:
    async with open_site(tmp_path) as site:
        await site.article("draft", status="draft")
        answer = await site.post(slug)
        assert answer.status_code == 404
        assert site.count() == 0


async def test_honeypot_answers_like_pending_but_is_stored_as_spam(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        plain = await site.post()
        trapped = await site.post(trap="http://spam.example", email="bot@example.org", body="b")
        assert trapped.status_code == plain.status_code == 202
        assert set(trapped.json()) == set(plain.json()) == RECEIPT_KEYS
        assert trapped.json()["status"] == "pending"
        assert set(trapped.json()["comment"]) == set(plain.json()["comment"])
        assert trapped.headers.keys() - {"content-length"} == plain.headers.keys() - {
            "content-length"
        }
        assert site.query("SELECT status FROM comments ORDER BY id") == [("pending",), ("spam",)]
        own = await site.client.get(
            f"/v1/comments/{trapped.json()['comment']['id']}",
            headers={"X-Edit-Token": trapped.json()["edit_token"]},
        )
        assert own.json()["status"] == "pending"


async def test_second_post_within_the_interval_is_429_with_retry_after(tmp_path: Path) -> None:
    async with open_site(tmp_path, post_min_interval_seconds=60) as site:
        await site.posted()
        answer = await site.post(body="another thought", email="other@example.org")
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) > 0
        assert site.count() == 1


async def test_same_body_same_email_on_another_article_is_409(tmp_path: Path) -> None:
    async with open_site(tmp_path, duplicate_window_seconds=3600) as site:
        await site.article("other")
        await site.posted(body="Great article!")
        answer = await site.post("other", body="great   ARTICLE!")
        assert answer.status_code == 409
        assert site.count() == 1


async def test_malformed_and_oversized_bodies_store_nothing(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        url = "/v1/articles/post/comments"
        duplicate = b'{"name": "a", "name": "b", "email": "a@example.org", "body": "x"}'
        for content, status in [
            (b"{not json", 400),
            (b"[]", 400),
            (duplicate, 400),
            (b'{"body": "' + b"x" * 70_000 + b'"}', 413),
        ]:
            answer = await site.client.post(
                url, content=content, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == status, content[:40]
        answer = await site.client.post(url, content=b"{}", headers={"Content-Type": "text/plain"})
        assert answer.status_code == 415
        assert site.count() == 0


class _Markup(HTMLParser):
    """Collects the real tags and attributes of rendered HTML (escaped text is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


SAFE_TAGS = {"p", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a", "br"}


def markup_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<svg onload="alert(1)"></svg>',
        '![img](https://example.org/x.png "t")',
    ],
)
async def test_rendered_body_has_no_executable_markup(tmp_path: Path, body: str) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(body=body)
        [(stored_body, html)] = site.query("SELECT body, body_html FROM comments")
        assert stored_body == body  # the source is kept as sent, rendered once on write
        assert receipt["comment"]["body_html"] == html
        for tag, attrs in markup_of(html):
            assert tag in SAFE_TAGS, html
            for name, value in attrs:
                assert not name.startswith("on"), html
                if name == "href":
                    assert (value or "").lower().startswith(("http:", "https:", "mailto:")), html


async def test_raw_html_is_shown_as_text(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(body="<b>bold?</b> & <script>x()</script>")
        html = receipt["comment"]["body_html"]
        assert "&lt;b&gt;bold?&lt;/b&gt;" in html
        assert "&lt;script&gt;" in html
        assert "<script" not in html and "<b>" not in html


@pytest.mark.parametrize(
    "body",
    ["[site](https://example.org/page)", "see <https://example.org/page>", "[m](mailto:a@b.org)"],
)
async def test_links_carry_nofollow_ugc_noopener(tmp_path: Path, body: str) -> None:
    async with open_site(tmp_path) as site:
        html = (await site.posted(body=body))["comment"]["body_html"]
        assert "<a " in html, html
        assert 'rel="nofollow ugc noopener"' in html, html


async def test_markdown_features_render(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        body = "*em* **strong** `code`\n\n- one\n- two\n\n> quoted"
        html = (await site.posted(body=body))["comment"]["body_html"]
        for tag in ("<em>", "<strong>", "<code>", "<ul>", "<li>", "<blockquote>"):
            assert tag in html, html


async def test_flood_counts_the_client_even_with_a_new_address(tmp_path: Path) -> None:
    async with open_site(tmp_path, post_min_interval_seconds=60) as site:
        await site.posted(email="one@example.org")
        spoofed = await site.post(
            email="two@example.org", body="other", headers={"X-Forwarded-For": "198.51.100.9"}
        )
        assert spoofed.status_code == 429  # the header is not believed from an untrusted peer
        assert site.count() == 1


async def test_forwarded_clients_behind_a_trusted_proxy_are_counted_apart(tmp_path: Path) -> None:
    proxy = (ipaddress.ip_network("127.0.0.0/8"),)
    async with open_site(tmp_path, post_min_interval_seconds=60, trusted_proxies=proxy) as site:
        first = await site.post(
            email="one@example.org", headers={"X-Forwarded-For": "198.51.100.1"}
        )
        second = await site.post(
            email="two@example.org", body="two", headers={"X-Forwarded-For": "198.51.100.2"}
        )
        again = await site.post(
            email="three@example.org", body="three", headers={"X-Forwarded-For": "198.51.100.1"}
        )
        assert [first.status_code, second.status_code, again.status_code] == [202, 202, 429]
        assert site.count() == 2


async def test_the_rate_limit_per_address_is_429(tmp_path: Path) -> None:
    proxy = (ipaddress.ip_network("127.0.0.0/8"),)
    async with open_site(tmp_path, post_rate_limit=2, trusted_proxies=proxy) as site:
        statuses = []
        for i in range(3):  # a new client each time: only the address repeats
            forwarded = {"X-Forwarded-For": f"198.51.100.{i}"}
            statuses.append((await site.post(body=f"comment {i}", headers=forwarded)).status_code)
        assert statuses == [202, 202, 429]
        assert site.count() == 2


async def test_same_body_from_the_same_client_with_another_address_is_409(tmp_path: Path) -> None:
    async with open_site(tmp_path, duplicate_window_seconds=3600) as site:
        await site.posted(body="Same words", email="one@example.org")
        answer = await site.post(body="Same words", email="two@example.org")
        assert answer.status_code == 409
        assert site.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "flag"),
    [
        # A term hidden in the source by an entity, emphasis or an invisible mark
        # is still the term on the page.
        ("buy via&#103;ra now", "spam", "body contains a disallowed term: viagra"),
        ("buy vi*a*gra now", "spam", "body contains a disallowed term: viagra"),
        ("buy via\u034fgra now", "spam", "body contains a disallowed term: viagra"),
        ("cryp&#116;o tips", "pending", "body contains a moderation term: crypto"),
        # Links the source's patterns miss are counted as rendered.
        (
            "[x [y] z](//a.example) [x [y] z](//b.example) [x [y] z](//c.example)",
            "pending",
            "body contains 3 links (limit 2)",
        ),
        ("[a\\]b](//a.example) [a\\]b](//b.example)", "pending", "body contains 2 links (limit 2)"),
    ],
)
async def test_the_content_rules_read_the_body_as_it_will_be_shown(
    tmp_path: Path, body: str, status: str, flag: str
) -> None:
    async with open_site(
        tmp_path, disallowed_terms=("viagra",), moderation_terms=("crypto",)
    ) as site:
        assert (await site.post(body=body)).status_code == 202
        ((stored_status, flags),) = site.query("SELECT status, flags FROM comments")
        assert stored_status == status
        assert [f["detail"] for f in json.loads(flags)] == [flag]
