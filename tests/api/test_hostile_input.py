"""Hostile input: nothing a client sends is a 5xx, and a refused request stores nothing.

Every case runs in-process against the real app and a real SQLite file. Each case
must answer 4xx with an RFC 9457 problem document, and the tables a write could
touch must be byte-for-byte the same afterwards. A second table pushes a stored-XSS
corpus through every write path and parses the rendered HTML.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from service import auth
from service.app import create_app
from service.config import Settings
from service.content.importer import import_folder

pytestmark = pytest.mark.asyncio(loop_scope="module")

ARTICLE = "hostile"
WATCHED_TABLES = ("comments", "articles", "authors", "audit_log", "article_tags")


@dataclass
class Env:
    client: httpx.AsyncClient
    app: Any
    db_path: Path
    admin: dict[str, str]
    comment_id: str
    edit: dict[str, str]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    db_path = tmp_path_factory.mktemp("hostile") / "t.db"
    settings = Settings(
        database=str(db_path),
        post_min_interval_seconds=0,
        post_rate_limit=0,
        duplicate_window_seconds=0,
        max_links=0,
    )
    app = create_app(settings)
    # The lifespan's cancel scope must be entered and left in one task; pytest-asyncio
    # runs a module fixture's setup and teardown in different ones.
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait(
        [holder, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    if holder.done():
        holder.result()
    try:
        token = await auth.create_token(app.state.services.db, "t", auth.Role.ADMIN)
        admin = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            r = await client.put("/v1/admin/authors/ann", json={"name": "Ann"}, headers=admin)
            assert r.status_code in (200, 201), r.text
            r = await client.put(
                f"/v1/admin/articles/{ARTICLE}",
                json={"title": "Hostile", "body_markdown": "Body.", "author": "ann"},
                headers=admin,
            )
            assert r.status_code in (200, 201), r.text
            r = await client.post(
                f"/v1/articles/{ARTICLE}/comments",
                json={"name": "First", "email": "first@example.org", "body": "Hello."},
            )
            assert r.status_code == 202, r.text
            receipt = r.json()
            yield Env(
                client=client,
                app=app,
                db_path=db_path,
                admin=admin,
                comment_id=receipt["comment"]["id"],
                edit={"X-Edit-Token": receipt["edit_token"]},
            )
    finally:
        stop.set()
        await holder


def snapshot(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db_path)
    try:
        return {
            table: sorted(tuple(row) for row in conn.execute(f"SELECT * FROM {table}"))
            for table in WATCHED_TABLES
        }
    finally:
        conn.close()


def counts(snap: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
    return {table: len(rows) for table, rows in snap.items()}


# --------------------------------------------------------------------------- bodies

VALID = {
    "post": {"name": "Reader", "email": "reader@example.org", "body": "A fine comment."},
    "patch": {"body": "An edited comment.", "name": "Reader"},
    "put": {"title": "Title", "body_markdown": "Text.", "author": "ann"},
}
STRING_FIELDS = {
    "post": ["name", "email", "body", "website"],
    "patch": ["body", "name", "website"],
    "put": ["title", "body_markdown", "author", "status", "excerpt"],
}
LIMITS = {"post": 64 * 1024, "patch": 64 * 1024, "put": 1024 * 1024}
JSON = {"Content-Type": "application/json"}
BIG = (400, 413)  # refused for what it is or for its size: both are right


def _with(target: str, field: str, raw_value: str) -> bytes:
    """The valid body of `target` with `field` replaced by a raw JSON fragment."""
    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in VALID[target].items() if k != field]
    parts.append(f"{json.dumps(field)}: {raw_value}")
    return ("{" + ", ".join(parts) + "}").encode()


def _valid_prefix(target: str) -> str:
    return json.dumps(VALID[target])[:-1]


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes | None
    headers: dict[str, str]
    expect: tuple[int, ...] = (400,)


def body_cases(target: str) -> list[Case]:
    first = STRING_FIELDS[target][0]
    prefix = _valid_prefix(target)
    cases = [
        Case("nested-arrays-1000", _with(target, first, "[" * 1000 + "]" * 1000), JSON),
        Case(
            "nested-arrays-100000", _with(target, first, "[" * 100_000 + "]" * 100_000), JSON, BIG
        ),
        Case("nested-objects-1000", _with(target, first, '{"a":' * 1000 + "1" + "}" * 1000), JSON),
        Case(
            "nested-objects-100000",
            _with(target, first, '{"a":' * 100_000 + "1" + "}" * 100_000),
            JSON,
            BIG,
        ),
        Case(
            "invalid-utf8",
            _with(target, first, '"ab\xff\xfecd"')
            .replace(b"\xc3\xbf", b"\xff")
            .replace(b"\xc3\xbe", b"\xfe"),
            JSON,
        ),
        Case(
            "overlong-utf8-slash", _with(target, first, '"x"').replace(b'"x"', b'"\xc0\xaf"'), JSON
        ),
        Case("overlong-utf8-nul", _with(target, first, '"x"').replace(b'"x"', b'"\xc0\x80"'), JSON),
        Case(
            "cesu-surrogate-bytes",
            _with(target, first, '"x"').replace(b'"x"', b'"\xed\xa0\x80"'),
            JSON,
        ),
        Case("lone-high-surrogate-escape", _with(target, first, '"a\\ud800b"'), JSON),
        Case("lone-low-surrogate-escape", _with(target, first, '"a\\udc00b"'), JSON),
        Case("duplicate-keys", (prefix + f', {json.dumps(first)}: "again"}}').encode(), JSON),
        Case("nan-literal", _with(target, first, "NaN"), JSON),
        Case("infinity-literal", _with(target, first, "Infinity"), JSON),
        Case("minus-infinity-literal", _with(target, first, "-Infinity"), JSON),
        Case("26-digit-number", _with(target, first, "12345678901234567890123456"), JSON),
        Case("1e400-number", _with(target, first, "1e400"), JSON),
        Case("10^400-integer", _with(target, first, "1" + "0" * 400), JSON),
        Case("5000-digit-integer", _with(target, first, "9" * 5000), JSON),
        Case("top-level-array", b"[]", JSON),
        Case("top-level-string", b'"hello"', JSON),
        Case("top-level-null", b"null", JSON),
        Case("top-level-number", b"12345678901234567890123456", JSON),
        Case("empty-body", b"", JSON),
        Case("whitespace-body", b"   \n", JSON),
        Case("truncated-json", json.dumps(VALID[target])[:-3].encode(), JSON),
        Case("trailing-garbage", json.dumps(VALID[target]).encode() + b"xx", JSON),
        Case("bom-prefixed", b"\xef\xbb\xbf" + json.dumps(VALID[target]).encode(), JSON),
        Case("utf16-body", json.dumps(VALID[target]).encode("utf-16"), JSON),
        Case(
            "text-plain",
            json.dumps(VALID[target]).encode(),
            {"Content-Type": "text/plain"},
            (415,),
        ),
        Case(
            "form-urlencoded",
            b"name=x&email=y%40example.org&body=z",
            {"Content-Type": "application/x-www-form-urlencoded"},
            (415,),
        ),
        Case(
            "multipart",
            b'--b\r\nContent-Disposition: form-data; name="body"\r\n\r\nx\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
            (415,),
        ),
        Case("missing-content-type", json.dumps(VALID[target]).encode(), {}, (415,)),
        Case(
            "json-lookalike-type",
            json.dumps(VALID[target]).encode(),
            {"Content-Type": "application/jsonx"},
            (415,),
        ),
        Case(
            "oversized",
            _with(target, first, json.dumps("x" * (LIMITS[target] + 1))),
            JSON,
            (413,),
        ),
        Case(
            "10000-fields",
            (prefix + "".join(f', "f{i}": {i}' for i in range(10_000)) + "}").encode(),
            JSON,
            BIG,
        ),
        Case("very-long-key", (prefix + f", {json.dumps('k' * 50_000)}: 1}}").encode(), JSON, BIG),
        Case("unknown-field", (prefix + ', "status": "approved", "id": 1}').encode(), JSON)
        if target != "put"
        else Case("unknown-field", (prefix + ', "comment_count": 99}').encode(), JSON),
        Case("wrong-types", _with(target, first, '{"$ne": null}'), JSON),
        Case("bool-for-string", _with(target, first, "true"), JSON),
    ]
    for field in STRING_FIELDS[target]:
        cases.append(Case(f"nul-in-{field}", _with(target, field, '"a\\u0000b"'), JSON))
        cases.append(Case(f"raw-nul-in-{field}", _with(target, field, '"a\x00b"'), JSON))
        cases.append(Case(f"escape-char-in-{field}", _with(target, field, '"a\\u001bb"'), JSON))
    if target != "put":
        cases.append(Case("bidi-override-in-name", _with(target, "name", '"a\\u202eb"'), JSON))
        cases.append(Case("javascript-website", _with(target, "website", '"javascript:x"'), JSON))
    return cases


def _request(env: Env, target: str) -> tuple[str, str, dict[str, str]]:
    if target == "post":
        return "POST", f"/v1/articles/{ARTICLE}/comments", {}
    if target == "patch":
        return "PATCH", f"/v1/comments/{env.comment_id}", env.edit
    return "PUT", f"/v1/admin/articles/{ARTICLE}", env.admin


BODY_CASES = [
    pytest.param(target, case, id=f"{target}-{case.name}")
    for target in ("post", "patch", "put")
    for case in body_cases(target)
]


def assert_refused(r: httpx.Response, expect: tuple[int, ...], what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:500]}"
    assert r.status_code in expect, f"{what}: {r.status_code} {r.text[:500]}"
    assert r.headers["content-type"].startswith("application/problem+json"), what
    doc = r.json()
    assert doc["status"] == r.status_code and {"type", "title", "detail"} <= doc.keys(), doc


@pytest.mark.parametrize(("target", "case"), BODY_CASES)
async def test_hostile_body_is_refused_and_stores_nothing(
    env: Env, target: str, case: Case
) -> None:
    method, path, auth_headers = _request(env, target)
    before = snapshot(env.db_path)
    content = case.body if case.body is not None else b""
    r = await env.client.request(
        method, path, content=content, headers={**auth_headers, **case.headers}
    )
    assert_refused(r, case.expect, f"{method} {path} [{case.name}]")
    after = snapshot(env.db_path)
    assert counts(after) == counts(before)
    assert after == before, f"{case.name} changed the database"


# --------------------------------------------------------------------------- paths, queries

LONG = "a" * 10_240
PATH_CASES = [
    # (method, path, needs json body, expected statuses)
    ("POST", "/v1/articles/12345678901234567890123456/comments", "post", (404,)),
    ("POST", f"/v1/articles/{LONG}/comments", "post", (404,)),
    ("POST", "/v1/articles/%00/comments", "post", (404,)),
    ("POST", "/v1/articles/hostile%00/comments", "post", (404,)),
    ("POST", "/v1/articles/..%2fhostile/comments", "post", (404,)),
    ("POST", "/v1/articles/..%2f..%2fadmin/comments", "post", (404,)),
    ("POST", "/v1/articles/HOSTILE/comments", "post", (404,)),
    ("POST", "/v1/articles/hostile%20/comments", "post", (404,)),
    ("GET", "/v1/articles/12345678901234567890123456", None, (404,)),
    ("GET", f"/v1/articles/{LONG}", None, (404,)),
    ("GET", "/v1/articles/%00", None, (404,)),
    ("GET", "/v1/articles/..%2f..%2fschema", None, (404,)),
    ("GET", f"/v1/articles/{LONG}/comments", None, (404,)),
    ("PATCH", "/v1/comments/5abc", "patch", (403, 404)),
    ("PATCH", "/v1/comments/1" + "0" * 30, "patch", (403, 404)),
    ("PATCH", "/v1/comments/12345678901234567890123456", "patch", (403, 404)),
    ("PATCH", "/v1/comments/%00", "patch", (403, 404)),
    ("PATCH", f"/v1/comments/{LONG}", "patch", (403, 404)),
    ("PATCH", "/v1/comments/-1", "patch", (403, 404)),
    ("GET", "/v1/comments/5abc", None, (401, 404)),
    ("GET", "/v1/comments/1" + "0" * 30, None, (401, 404)),
    ("DELETE", "/v1/comments/1" + "0" * 30, None, (401, 403, 404)),
    ("PUT", f"/v1/admin/articles/{LONG}", "put", (400, 404)),
    ("PUT", "/v1/admin/articles/%00", "put", (400, 404)),
    ("PUT", "/v1/admin/articles/..%2fauthors%2fann", "put", (400, 404)),
    ("PUT", "/v1/admin/articles/Hostile", "put", (400, 404)),
    ("GET", "/v1/articles?limit=12345678901234567890123456", None, (400,)),
    ("GET", "/v1/articles?limit=" + "9" * 5000, None, (400,)),
    ("GET", "/v1/articles?limit=-1", None, (400,)),
    ("GET", "/v1/articles?limit=0", None, (400,)),
    ("GET", "/v1/articles?limit=1e3", None, (400,)),
    ("GET", "/v1/articles?limit=NaN", None, (400,)),
    ("GET", "/v1/articles?cursor=" + "A" * 10_000, None, (400,)),
    ("GET", "/v1/articles?cursor=%00", None, (400,)),
    ("GET", "/v1/articles?cursor=%ff%fe", None, (400,)),
    ("GET", "/v1/articles/hostile/comments?limit=1" + "0" * 30, None, (400,)),
    ("GET", "/v1/articles/hostile/comments?cursor=" + "z" * 10_000, None, (400,)),
    ("GET", "/v1/articles/hostile/comments?sort=%00", None, (400,)),
    ("GET", "/v1/articles/hostile?include=%00", None, (400,)),
    ("GET", "/v1/articles/hostile/related?limit=" + "9" * 30, None, (400,)),
    ("GET", "/v1/comments/counts?" + "&".join(["article=a"] * 101), None, (400,)),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expect"),
    [pytest.param(*c, id=f"{c[0]}-{c[1][:60]}") for c in PATH_CASES],
)
async def test_hostile_path_or_query_is_refused_and_stores_nothing(
    env: Env, method: str, path: str, body: str | None, expect: tuple[int, ...]
) -> None:
    headers: dict[str, str] = {}
    if body == "patch":
        headers.update(env.edit)
    if body == "put":
        headers.update(env.admin)
    before = snapshot(env.db_path)
    r = await env.client.request(
        method,
        path,
        content=json.dumps(VALID[body]).encode() if body else None,
        headers={**headers, **(JSON if body else {})},
    )
    assert_refused(r, expect, f"{method} {path[:80]}")
    assert snapshot(env.db_path) == before


# --------------------------------------------------------------------------- stored XSS

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">x</a>',
    "<body onload=alert(1)>",
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    '<p style="color:red">styled</p>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](VBScript:msgbox(1))",
    '[t](https://ok.example "title\\" onmouseover=\\"alert(1))',
    "![img](javascript:alert(1))",
    '![x" onerror="alert(1)](https://img.example/x.png)',
    "![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "[ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "<data:text/html,alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<style>*{background:url(javascript:alert(1))}</style>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "* [x](javascript:alert(1))\n* <svg/onload=alert(1)>",
    "\u202e<script>alert(1)</script>",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "[x](\\u006aavascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115cript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
]
SAFE_SCHEMES = ("http", "https", "mailto")
FORBIDDEN_TAGS = {
    "script", "iframe", "svg", "math", "style", "object", "embed", "form", "input",
    "meta", "base", "link", "frame", "frameset", "details", "body", "html", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}
MARKUP_PATTERNS = [
    re.compile(p, re.I)
    for p in (r"<script", r"\son\w+\s*=", r"javascript:", r"data:", r"vbscript:", r"<iframe",
              r"<svg", r"style\s*=")
]  # fmt: skip


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _scheme(url: str) -> str | None:
    squashed = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(url)).lower()
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", squashed)
    return match.group(1) if match else None


def executable_markup(rendered: str) -> list[str]:
    """Everything in `rendered` a browser could execute or that styles the page."""
    parser = _Collector()
    parser.feed(rendered)
    parser.close()
    problems = []
    for tag, attrs in parser.tags:
        if tag in FORBIDDEN_TAGS:
            problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                problems.append(f"{name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = _scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    problems.append(f"{name}={value!r} on <{tag}>")
    if parser.comments:
        problems.append("HTML comment survived")
    # Substring checks on the markup only: tag names, attribute names and the
    # (entity-decoded) values of URL attributes. Text and quoted non-URL values such
    # as alt="x&quot; onerror=..." are data a browser never executes.
    for tag, attrs in parser.tags:
        markup = (
            "<"
            + tag
            + "".join(
                f" {name}=" + (html.unescape(value or "") if name in URL_ATTRIBUTES else "''")
                for name, value in attrs
            )
        )
        for pattern in MARKUP_PATTERNS:
            if pattern.search(markup):
                problems.append(f"{pattern.pattern!r} in {markup!r}")
    for raw in ("<script", "<iframe", "<svg"):
        if raw in rendered.lower():
            problems.append(f"raw {raw}")
    return problems


async def test_the_checker_catches_what_it_should() -> None:
    assert executable_markup('<a href="jav&#x09;ascript:x">x</a>')
    assert executable_markup('<img src="x" onerror="y">')
    assert executable_markup('<p style="x">y</p>')
    assert executable_markup("<!-- x -->")
    assert executable_markup("<svg></svg>")
    assert not executable_markup('<p>&lt;script&gt; onerror= <a href="https://x">y</a></p>')


XSS_PARAMS = [pytest.param(i, p, id=f"xss{i:02d}") for i, p in enumerate(XSS)]


def _db_value(db_path: Path, sql: str, *params: Any) -> str:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(sql, params).fetchone()
    finally:
        conn.close()
    assert row is not None, sql
    return str(row[0])


@pytest.mark.parametrize(("i", "payload"), XSS_PARAMS)
async def test_xss_comment_create(env: Env, i: int, payload: str) -> None:
    r = await env.client.post(
        f"/v1/articles/{ARTICLE}/comments",
        json={"name": f"X {i}", "email": f"xss{i}@example.org", "body": payload},
    )
    assert r.status_code in (202, 400), r.text
    if r.status_code == 400:
        return  # refused outright is fine too
    receipt = r.json()
    rendered = receipt["comment"]["body_html"]
    stored = _db_value(
        env.db_path, "SELECT body_html FROM comments WHERE public_id = ?", receipt["comment"]["id"]
    )
    own = await env.client.get(
        f"/v1/comments/{receipt['comment']['id']}",
        headers={"X-Edit-Token": receipt["edit_token"]},
    )
    for html_text in (rendered, stored, own.json()["comment"]["body_html"]):
        assert executable_markup(html_text) == [], (payload, html_text)


@pytest.mark.parametrize(("i", "payload"), XSS_PARAMS)
async def test_xss_comment_edit(env: Env, i: int, payload: str) -> None:
    r = await env.client.patch(
        f"/v1/comments/{env.comment_id}", json={"body": payload}, headers=env.edit
    )
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        return
    stored = _db_value(
        env.db_path, "SELECT body_html FROM comments WHERE public_id = ?", env.comment_id
    )
    for html_text in (r.json()["comment"]["body_html"], stored):
        assert executable_markup(html_text) == [], (payload, html_text)


@pytest.mark.parametrize(("i", "payload"), XSS_PARAMS)
async def test_xss_admin_article_body(env: Env, i: int, payload: str) -> None:
    slug = f"xss-{i}"
    r = await env.client.put(
        f"/v1/admin/articles/{slug}",
        json={"title": f"XSS {i}", "body_markdown": payload, "author": "ann"},
        headers=env.admin,
    )
    assert r.status_code in (200, 201, 400), r.text
    if r.status_code == 400:
        return
    public = await env.client.get(f"/v1/articles/{slug}")
    assert public.status_code == 200, public.text
    for html_text in (r.json()["body_html"], public.json()["body_html"]):
        assert executable_markup(html_text) == [], (payload, html_text)


@pytest.mark.parametrize(("i", "payload"), XSS_PARAMS)
async def test_xss_author_bio(env: Env, i: int, payload: str) -> None:
    slug = f"xss-author-{i}"
    r = await env.client.put(
        f"/v1/admin/authors/{slug}", json={"name": f"Author {i}", "bio": payload}, headers=env.admin
    )
    assert r.status_code in (200, 201, 400), r.text
    if r.status_code == 400:
        return
    stored = _db_value(env.db_path, "SELECT bio_html FROM authors WHERE slug = ?", slug)
    for html_text in (r.json()["bio_html"], stored):
        assert executable_markup(html_text) == [], (payload, html_text)


async def test_xss_import(env: Env, tmp_path: Path) -> None:
    (tmp_path / "authors").mkdir()
    for i, payload in enumerate(XSS):
        (tmp_path / "authors" / f"imp-author-{i}.md").write_text(
            f"---\nname: Imported {i}\n---\n{payload}\n", encoding="utf-8"
        )
        (tmp_path / f"imp-{i}.md").write_text(
            f"---\ntitle: Imported {i}\nauthor: imp-author-{i}\n---\n{payload}\n",
            encoding="utf-8",
        )
    report = await import_folder(env.app.state.services.db, str(tmp_path))
    assert (report.authors, report.articles) == (len(XSS), len(XSS))
    conn = sqlite3.connect(env.db_path)
    try:
        articles = conn.execute(
            "SELECT slug, body_html FROM articles WHERE slug LIKE 'imp-%'"
        ).fetchall()
        authors = conn.execute(
            "SELECT slug, bio_html FROM authors WHERE slug LIKE 'imp-author-%'"
        ).fetchall()
    finally:
        conn.close()
    assert len(articles) == len(authors) == len(XSS)
    bad = {slug: executable_markup(text) for slug, text in [*articles, *authors]}
    assert {k: v for k, v in bad.items() if v} == {}
