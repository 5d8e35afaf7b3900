"""The editor endpoints: PUT/GET/DELETE authors and articles, behind bearer tokens."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from tests.helpers import (
    MakeArticle,
    MakeAuthor,
    MakeToken,
    assert_problem,
    bearer,
    error_fields,
)

AUTHOR_KEYS = {
    "slug",
    "name",
    "bio",
    "bio_html",
    "avatar_url",
    "website",
    "created_at",
    "updated_at",
}
ARTICLE_KEYS = {
    "slug",
    "title",
    "body_markdown",
    "body_html",
    "excerpt",
    "custom_excerpt",
    "author",
    "tags",
    "status",
    "published_at",
    "comments_open",
    "comment_count",
    "created_at",
    "updated_at",
}


async def put(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    return await client.put(f"/v1/admin/{path}", json=body, headers=headers)


# --- authors --------------------------------------------------------------------------


async def test_put_author_creates_then_updates(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    body = {
        "name": "  Maya Okafor ",
        "bio": "Physio in *Leeds*.",
        "avatar_url": "https://example.com/m.png",
        "website": "https://example.com/maya",
    }
    created = await put(client, "authors/maya", body, editor)
    updated = await put(client, "authors/maya", body | {"name": "Maya O."}, editor)
    fetched = await client.get("/v1/admin/authors/maya", headers=editor)

    assert created.status_code == 201
    assert updated.status_code == 200
    assert fetched.status_code == 200
    assert set(created.json()) == AUTHOR_KEYS
    assert created.json()["name"] == "Maya Okafor"
    assert fetched.json() == updated.json()
    assert fetched.json()["name"] == "Maya O."
    assert fetched.json()["bio_html"] == "<p>Physio in <em>Leeds</em>.</p>"
    assert created.headers["cache-control"] == "no-store"


async def test_author_optional_fields_default(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    response = await put(client, "authors/sam", {"name": "Sam"}, editor)
    assert response.status_code == 201
    body = response.json()
    assert (body["bio"], body["bio_html"], body["avatar_url"], body["website"]) == (
        "",
        "",
        None,
        None,
    )


async def test_delete_author(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    await put(client, "authors/sam", {"name": "Sam"}, editor)

    deleted = await client.delete("/v1/admin/authors/sam", headers=editor)

    assert deleted.status_code == 204
    assert_problem(await client.get("/v1/admin/authors/sam", headers=editor), 404)
    assert_problem(await client.delete("/v1/admin/authors/sam", headers=editor), 404)


async def test_an_author_with_articles_cannot_be_deleted(
    client: httpx.AsyncClient, editor: dict[str, str], make_article: MakeArticle
) -> None:
    await make_article("kept", author="sam")
    await make_article("draft", author="sam", status="draft")

    refused = await client.delete("/v1/admin/authors/sam", headers=editor)
    assert_problem(refused, 409)
    assert (await client.get("/v1/admin/authors/sam", headers=editor)).status_code == 200

    for slug in ("kept", "draft"):
        assert (
            await client.delete(f"/v1/admin/articles/{slug}", headers=editor)
        ).status_code == 204
    assert (await client.delete("/v1/admin/authors/sam", headers=editor)).status_code == 204


async def test_bad_author_fields_are_all_reported(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    response = await put(
        client,
        "authors/sam",
        {
            "name": "",
            "bio": 5,
            "avatar_url": "javascript:alert(1)",
            "website": "ftp://example.com",
            "email": "sam@example.com",
        },
        editor,
    )
    assert error_fields(response) == {"name", "bio", "avatar_url", "website", "email"}
    assert_problem(await client.get("/v1/admin/authors/sam", headers=editor), 404)


# --- articles ---------------------------------------------------------------------------


async def test_put_article_creates_then_updates(
    client: httpx.AsyncClient, editor: dict[str, str], make_author: MakeAuthor
) -> None:
    await make_author("ada")
    body = {
        "title": "Knee pain",
        "body_markdown": "Front of the knee.",
        "author": "ada",
        "tags": ["Knee", "running", "knee"],
        "published_at": "2026-03-01T10:00:00+01:00",
    }
    created = await put(client, "articles/knee", body, editor)
    updated = await put(client, "articles/knee", body | {"title": "Knee pain, again"}, editor)
    fetched = await client.get("/v1/admin/articles/knee", headers=editor)

    assert created.status_code == 201
    assert updated.status_code == 200
    assert set(created.json()) == ARTICLE_KEYS
    assert fetched.json() == updated.json()
    article = fetched.json()
    assert article["title"] == "Knee pain, again"
    assert article["tags"] == ["knee", "running"]
    assert article["published_at"] == "2026-03-01T09:00:00Z"
    assert (article["status"], article["comments_open"], article["comment_count"]) == (
        "published",
        True,
        0,
    )
    assert created.headers["cache-control"] == "no-store"


async def test_publishing_without_a_date_keeps_the_first_publication_time(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    first = await make_article("a")
    again = await make_article("a", title="Changed")
    assert first["published_at"] is not None
    assert again["published_at"] == first["published_at"]


async def test_a_draft_has_no_publication_time_and_editors_can_read_it(
    client: httpx.AsyncClient, editor: dict[str, str], make_article: MakeArticle
) -> None:
    await make_article("draft", status="draft")
    response = await client.get("/v1/admin/articles/draft", headers=editor)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["published_at"]) == ("draft", None)


async def test_the_excerpt_is_derived_unless_given(make_article: MakeArticle) -> None:
    derived = await make_article("derived", body_markdown="# Heading\n\nFirst *para*.\n\nSecond.")
    given = await make_article("given", excerpt="  Hand written.  ")
    long = await make_article("long", body_markdown="word " * 200)

    assert derived["excerpt"] == "Heading First para. Second."
    assert derived["custom_excerpt"] is None
    assert (given["excerpt"], given["custom_excerpt"]) == ("Hand written.", "Hand written.")
    assert long["excerpt"].endswith("…")
    assert len(long["excerpt"]) <= 240


async def test_markdown_is_rendered_and_sanitized(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    markdown = (
        "Hello <script>alert(1)</script>\n\n"
        "[bad](javascript:alert(1)) [good](https://example.com/a) [data](data:text/html,x)\n\n"
        '<a href="javascript:alert(2)">raw</a> <img src=x onerror="alert(3)">\n\n'
        "![pic](https://example.com/p.png)"
    )
    saved = await make_article("safe", body_markdown=markdown)
    public = (await client.get("/v1/articles/safe")).json()

    html = saved["body_html"]
    assert public["body_html"] == html
    assert saved["body_markdown"] == markdown  # what the editor sent is stored as sent
    elements = parse_html(html)
    assert {tag for tag, _ in elements} == {"p", "a", "img"}
    assert elements.count(("a", {"href": "https://example.com/a", "rel": "noopener"})) == 1
    assert ("img", {"src": "https://example.com/p.png", "alt": "pic"}) in elements
    assert [attrs for tag, attrs in elements if tag == "a"] == [
        {"href": "https://example.com/a", "rel": "noopener"}
    ]  # the javascript: and data: links were not made links
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    assert "&lt;a href=" in html


def parse_html(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element with its attributes: what a browser would build."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


async def test_an_unknown_author_is_a_400_on_author(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    body = {"title": "T", "body_markdown": "B", "author": "nobody"}
    assert error_fields(await put(client, "articles/t", body, editor)) == {"author"}
    assert_problem(await client.get("/v1/admin/articles/t", headers=editor), 404)


async def test_every_bad_article_field_is_reported_at_once(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    body = {
        "title": " ",
        "body_markdown": 5,
        "author": "Not A Slug",
        "tags": "back",
        "status": "live",
        "published_at": "yesterday",
        "comments_open": "yes",
        "excerpt": 3,
        "colour": "red",
    }
    response = await put(client, "articles/t", body, editor)
    assert error_fields(response) == set(body)
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["colour"] == "is not a known field"
    assert errors["title"] == "is required"


async def test_missing_required_fields_are_all_reported(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    response = await put(client, "articles/t", {}, editor)
    assert error_fields(response) == {"title", "body_markdown", "author"}


async def test_a_bad_slug_to_create_is_reported_with_the_body_fields(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    for slug in ["Not_A_Slug", "a" * 121, "a--b", "-a", "a%0A", "%20a"]:
        response = await put(client, f"articles/{slug}", {"title": "T"}, editor)
        assert error_fields(response) == {"slug", "body_markdown", "author"}, slug
        response = await put(client, f"authors/{slug}", {"name": "N"}, editor)
        assert error_fields(response) == {"slug"}, slug


async def test_over_long_fields_are_refused_not_truncated(
    client: httpx.AsyncClient, editor: dict[str, str], make_author: MakeAuthor
) -> None:
    await make_author("ada")
    body = {"title": "é" * 201, "body_markdown": "B", "author": "ada", "tags": ["t"] * 21}
    assert error_fields(await put(client, "articles/t", body, editor)) == {"title", "tags"}
    fits = await put(client, "articles/t", body | {"title": "e\u0301" * 200, "tags": []}, editor)
    assert fits.status_code == 201  # 200 code points after NFC, though 400 before


async def test_delete_article(
    client: httpx.AsyncClient, editor: dict[str, str], make_article: MakeArticle
) -> None:
    await make_article("gone")

    assert (await client.delete("/v1/admin/articles/gone", headers=editor)).status_code == 204
    assert_problem(await client.get("/v1/articles/gone"), 404)
    assert_problem(await client.get("/v1/admin/articles/gone", headers=editor), 404)
    assert_problem(await client.delete("/v1/admin/articles/gone", headers=editor), 404)


async def test_unknown_and_impossible_slugs_are_404(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    for path in [
        "articles/nothing",
        "authors/nothing",
        "articles/Bad_Slug",
        "authors/" + "a" * 300,
    ]:
        assert_problem(await client.get(f"/v1/admin/{path}", headers=editor), 404)
        assert_problem(await client.delete(f"/v1/admin/{path}", headers=editor), 404)


# --- tokens and roles -------------------------------------------------------------------


ADMIN_REQUESTS = [
    ("GET", "/v1/admin/authors/ada"),
    ("PUT", "/v1/admin/authors/ada"),
    ("DELETE", "/v1/admin/authors/ada"),
    ("GET", "/v1/admin/articles/a"),
    ("PUT", "/v1/admin/articles/a"),
    ("DELETE", "/v1/admin/articles/a"),
]


BAD_AUTHORIZATIONS = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer byl_not-a-real-token",
    "Bearer not-even-the-prefix",
    "Bearer byl_" + "x" * 300,
]


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
async def test_no_or_bad_credentials_are_401(
    client: httpx.AsyncClient, make_token: MakeToken, method: str, path: str
) -> None:
    token = await make_token("admin")
    for authorization in [*BAD_AUTHORIZATIONS, f"Bearer {token}x", f"Bearer {token[:-1]}"]:
        headers = {} if authorization is None else {"Authorization": authorization}
        response = await client.request(method, path, json={"name": "Ada"}, headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", authorization


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
async def test_a_moderator_token_is_403(
    client: httpx.AsyncClient, make_token: MakeToken, method: str, path: str
) -> None:
    headers = bearer(await make_token("moderator"))
    response = await client.request(method, path, json={"name": "Ada"}, headers=headers)
    assert_problem(response, 403)


async def test_admin_and_editor_tokens_may_edit(
    client: httpx.AsyncClient, make_token: MakeToken
) -> None:
    for role in ("admin", "editor"):
        headers = bearer(await make_token(role))
        response = await put(client, f"authors/{role}", {"name": role}, headers)
        assert response.status_code == 201, role


async def test_the_guard_runs_before_the_body_is_read(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/v1/admin/authors/ada", content=b"not json", headers={"content-type": "text/plain"}
    )
    assert_problem(response, 401)


async def test_a_new_article_never_gets_a_deleted_articles_page_or_comments(
    client: httpx.AsyncClient, editor: dict[str, str], make_article: MakeArticle
) -> None:
    # The newest article's id is what SQLite would hand out again; pages are
    # cached and tagged by article id and version.
    await make_article("first-one", title="The first one")
    page = await client.get("/v1/articles/first-one")
    comments = await client.get("/v1/articles/first-one/comments")
    assert page.status_code == comments.status_code == 200
    assert (await client.delete("/v1/admin/articles/first-one", headers=editor)).status_code == 204

    await make_article("second-one", title="The second one")
    again = await client.get("/v1/articles/second-one")
    assert again.json()["slug"] == "second-one"
    assert again.json()["title"] == "The second one"
    assert again.headers["etag"] != page.headers["etag"]
    stale = {"If-None-Match": page.headers["etag"]}
    assert (await client.get("/v1/articles/second-one", headers=stale)).status_code == 200
    new_comments = await client.get("/v1/articles/second-one/comments")
    assert new_comments.headers["etag"] != comments.headers["etag"]


async def test_publication_times_at_the_ends_of_the_calendar(
    client: httpx.AsyncClient, editor: dict[str, str], make_article: MakeArticle
) -> None:
    # A moment before the year 1 (or after 9999) in UTC is a 400, not a 500.
    for outside in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        await make_article("calendar")
        response = await put(
            client,
            "articles/calendar",
            {"title": "T", "body_markdown": "b", "author": "ada", "published_at": outside},
            editor,
        )
        assert error_fields(response) == {"published_at"}
    # A year before 1000 is written with four digits, and the article is in the past.
    old = await make_article("ancient", published_at="0999-01-01T00:00:00Z")
    assert old["published_at"] == "0999-01-01T00:00:00Z"
    public = await client.get("/v1/articles/ancient")
    assert public.status_code == 200
    assert public.json()["published_at"] == "0999-01-01T00:00:00Z"
    listed = await client.get("/v1/articles")
    assert "ancient" in {item["slug"] for item in listed.json()["items"]}
