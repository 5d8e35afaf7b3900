"""Conventions every route keeps: problem documents, strict JSON bodies, headers."""

from __future__ import annotations

import httpx
import pytest

from service.app import create_app
from service.config import Settings
from tests.helpers import (
    MakeArticle,
    MakeToken,
    assert_problem,
    bearer,
    error_fields,
    in_process,
)

ARTICLE = b'{"title": "T", "body_markdown": "B", "author": "ada"}'


def json_headers(auth: dict[str, str], content_type: str = "application/json") -> dict[str, str]:
    return auth | {"content-type": content_type}


@pytest.fixture
async def ada(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    response = await client.put("/v1/admin/authors/ada", json={"name": "Ada"}, headers=editor)
    assert response.status_code == 201


async def put_raw(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str], slug: str = "t"
) -> httpx.Response:
    return await client.put(f"/v1/admin/articles/{slug}", content=body, headers=headers)


# --- problem documents --------------------------------------------------------------


async def test_every_error_is_a_problem_document_with_exactly_the_contract_keys(
    client: httpx.AsyncClient, editor: dict[str, str], make_token: MakeToken, ada: None
) -> None:
    assert (await put_raw(client, ARTICLE, json_headers(editor))).status_code == 201
    # Bodies are compared whole: a new key in an error is a contract change.
    cases: list[tuple[httpx.Response, int, str]] = [
        (await client.get("/v1/articles/nothing"), 404, "no such article"),
        (await client.get("/no/such/route"), 404, "no such resource"),
        (await client.delete("/v1/articles"), 405, "method not allowed"),
        (await client.get("/v1/admin/authors/ada"), 401, "a bearer token is required"),
        (
            await client.get(
                "/v1/admin/authors/ada", headers=bearer(await make_token("moderator"))
            ),
            403,
            "this token's role may not do this (needs editor)",
        ),
        (
            await client.delete("/v1/admin/authors/ada", headers=editor),
            409,
            "the author still has articles; delete or reassign them first",
        ),
        (
            await put_raw(client, ARTICLE, json_headers(editor, "text/plain")),
            415,
            "Content-Type must be application/json",
        ),
    ]
    expected_types = {
        401: "/problems/unauthorized",
        403: "/problems/forbidden",
        404: "/problems/not_found",
        405: "/problems/method_not_allowed",
        409: "/problems/conflict",
        415: "/problems/unsupported_media_type",
    }
    titles = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        415: "Unsupported Media Type",
    }
    for response, status, detail in cases:
        assert_problem(response, status)
        assert response.json() == {
            "type": expected_types[status],
            "title": titles[status],
            "status": status,
            "detail": detail,
        }


async def test_invalid_input_is_a_problem_document_with_errors(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    response = await put_raw(client, b'{"title": 1, "x": 2}', json_headers(editor))
    assert_problem(response, 400, errors=True)
    assert response.json() == {
        "type": "/problems/invalid_input",
        "title": "Bad Request",
        "status": 400,
        "detail": "the request has invalid fields",
        "errors": [
            {"field": "x", "message": "is not a known field"},
            {"field": "title", "message": "must be a string"},
            {"field": "body_markdown", "message": "is required"},
            {"field": "author", "message": "is required"},
        ],
    }


async def test_query_parameter_errors_use_the_same_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/articles?limit=1000")
    assert_problem(response, 400, errors=True)
    assert response.json()["errors"] == [{"field": "limit", "message": "Expected `int` <= 100"}]


# --- strict JSON bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"title": "T",', "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"{'title': 'T'}", "the body is not valid JSON"),
        (b'{"title": NaN}', "the body is not valid JSON"),
        (b'{"title": Infinity}', "the body is not valid JSON"),
        (b"\xff\xfe{}", "the body is not valid UTF-8"),
        (b'{"title": "\xc3\x28"}', "the body is not valid UTF-8"),
        (b"[" * 100_000, "the body is nested too deeply"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "the body is nested too deeply"),
        (b"[]", "the body must be a JSON object"),
        (b'"text"', "the body must be a JSON object"),
        (b"null", "the body must be a JSON object"),
    ],
)
async def test_bodies_that_are_not_one_json_object_are_400(
    client: httpx.AsyncClient, editor: dict[str, str], body: bytes, detail: str
) -> None:
    response = await put_raw(client, body, json_headers(editor))
    assert_problem(response, 400, errors=True)
    assert response.json()["detail"] == detail
    assert response.json()["errors"] == []


async def test_duplicate_keys_are_400_naming_the_key(
    client: httpx.AsyncClient, editor: dict[str, str], ada: None
) -> None:
    body = b'{"title": "T", "body_markdown": "B", "author": "ada", "title": "U"}'
    response = await put_raw(client, body, json_headers(editor))
    assert error_fields(response) == {"title"}
    assert_problem(await client.get("/v1/admin/articles/t", headers=editor), 404)


async def test_unknown_fields_are_400(
    client: httpx.AsyncClient, editor: dict[str, str], ada: None
) -> None:
    body = ARTICLE[:-1] + b', "status_code": 500, "id": 7}'
    response = await put_raw(client, body, json_headers(editor))
    assert error_fields(response) == {"status_code", "id"}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml"],
)
async def test_a_body_that_is_not_json_is_415(
    client: httpx.AsyncClient, editor: dict[str, str], content_type: str
) -> None:
    response = await put_raw(client, ARTICLE, json_headers(editor, content_type))
    assert_problem(response, 415)


async def test_a_body_without_content_type_is_415(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    assert_problem(await put_raw(client, ARTICLE, editor), 415)


async def test_json_with_a_charset_is_accepted(
    client: httpx.AsyncClient, editor: dict[str, str], ada: None
) -> None:
    headers = json_headers(editor, "Application/JSON; charset=utf-8")
    assert (await put_raw(client, ARTICLE, headers)).status_code == 201


async def test_a_body_over_the_default_limit_is_413(
    client: httpx.AsyncClient, editor: dict[str, str], ada: None
) -> None:
    padding = b" " * (1024 * 1024)
    response = await put_raw(client, ARTICLE + padding, json_headers(editor))
    assert_problem(response, 413)
    assert response.json()["detail"] == "the request body is too large"
    assert_problem(await client.get("/v1/admin/articles/t", headers=editor), 404)


async def test_the_admin_body_limit_is_the_setting(
    settings: Settings, make_token: MakeToken
) -> None:
    app = create_app(Settings(database=settings.database, admin_max_body_bytes=2048))
    async with in_process(app) as client:
        headers = json_headers(bearer(await make_token("editor")))
        small = await client.put("/v1/admin/authors/ada", content=b'{"name": "A"}', headers=headers)
        large = await client.put(
            "/v1/admin/authors/ada", content=b'{"name": "A"}' + b" " * 2048, headers=headers
        )
    assert small.status_code == 201
    assert_problem(large, 413)


# --- headers ----------------------------------------------------------------------------


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
}


async def test_security_headers_on_success_and_error_responses(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    responses = [
        await client.get("/v1/articles"),
        await client.get("/healthz"),
        await client.get("/v1/articles/nothing"),
        await client.get("/nowhere"),
        await client.get("/v1/articles?limit=0"),
        await client.get("/v1/admin/authors/ada"),
        await put_raw(client, b"{", json_headers(editor)),
        await put_raw(client, b"{}", json_headers(editor, "text/plain")),
    ]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url, name)
        assert "server" not in response.headers
        assert response.headers["x-request-id"]


async def test_request_ids_differ(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_the_docs_page_may_run_its_own_scripts_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "http:" not in csp and "https:" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_public_gets_are_open_to_every_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/articles", headers={"Origin": "https://blog.example"})
    assert response.headers["access-control-allow-origin"] == "*"


# --- HEAD -----------------------------------------------------------------------


async def test_head_answers_every_get_with_its_headers_and_no_body(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    await make_article("head")
    paths = [
        "/v1/articles/head",  # the router first, then the cached fast path
        "/v1/articles/head",
        "/v1/articles/head?include=comments,related",
        "/v1/articles/head/comments",
        "/v1/articles",
        "/v1/comments/counts?article=head",
        "/healthz",
        "/v1/articles/nothing",
    ]
    for path in paths:
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        volatile = {"x-request-id", "date"}
        assert {k: v for k, v in head.headers.items() if k not in volatile} == {
            k: v for k, v in got.headers.items() if k not in volatile
        }, path
    etag = (await client.get("/v1/articles/head")).headers["etag"]
    again = await client.head("/v1/articles/head", headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_json_answers_name_their_charset_on_every_path(
    client: httpx.AsyncClient, make_article: MakeArticle
) -> None:
    # API.md: application/json; charset=utf-8. The router answers a page first,
    # then the cached fast path; a comment post is answered by its own layer.
    await make_article("typed")
    answers = [
        await client.get("/v1/articles/typed"),
        await client.get("/v1/articles/typed"),
        await client.get("/v1/articles/typed/comments"),
        await client.get("/v1/comments/counts?article=typed"),
        await client.post(
            "/v1/articles/typed/comments",
            json={"name": "N", "email": "n@example.org", "body": "hello"},
        ),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 202]
    assert {a.headers["content-type"] for a in answers} == {"application/json; charset=utf-8"}


async def test_allow_lists_head_wherever_it_lists_get(client: httpx.AsyncClient) -> None:
    refused = await client.put("/v1/comments/counts")
    assert refused.status_code == 405
    assert {m.strip() for m in refused.headers["allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    asked = await client.options("/v1/comments/counts")
    assert asked.status_code == 204
    assert {m.strip() for m in asked.headers["allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    post_only = await client.get("/v1/moderation/actions")
    assert post_only.status_code == 405
    assert "HEAD" not in post_only.headers["allow"]
