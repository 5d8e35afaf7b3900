"""The e-mail rule, proven with a canary address.

Every public route's body and headers, every error, the public OpenAPI types and
the captured log output are scanned for the address in any spelling or encoding
and for its unkeyed hashes. Any hit fails.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import msgspec
import pytest

from service.http import public_types
from service.keys import Keys
from tests.api.comment_fixtures import Site, open_site, set_status

CANARY = "Canary.Person+tag@Example.org"
NORMALIZED = "canary.person+tag@example.org"
# The test's own HTTP client logs the URLs it requests; that is not the service.
CLIENT_LOGGERS = ("httpx", "httpcore")


def spellings(address: str) -> set[str]:
    """Every form the address must not appear in, lower-cased (haystacks are too)."""
    forms = {address, address.lower(), address.upper(), NORMALIZED}
    found: set[str] = set()
    for form in forms:
        found |= {form, quote(form), quote(form, safe=""), quote_plus(form)}
        found.add(base64.b64encode(form.encode()).decode())
        found.add(base64.urlsafe_b64encode(form.encode()).decode().rstrip("="))
        for algorithm in ("md5", "sha1", "sha256"):
            found.add(hashlib.new(algorithm, form.encode()).hexdigest())
    return {f.lower() for f in found}


NEEDLES = spellings(CANARY)


def leaks(text: str) -> list[str]:
    haystack = text.lower()
    return sorted(n for n in NEEDLES if n in haystack)


class Recorder:
    """Every answer the test got, for one scan at the end."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.answers: list[httpx.Response] = []

    async def send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        answer = await self.site.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        self.answers.append(answer)
        return answer

    def scan(self) -> None:
        for answer in self.answers:
            where = f"{answer.request.method} {answer.request.url.path} -> {answer.status_code}"
            assert not leaks(answer.text), (where, "body", leaks(answer.text))
            headers = "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
            assert not leaks(headers), (where, "headers", leaks(headers))


def capture_every_logger(caplog: pytest.LogCaptureFixture) -> list[logging.Logger]:
    """Route every logger, at DEBUG, to caplog; the app's logging config may have
    replaced the root handlers on start. Returns the loggers to detach afterwards."""
    caplog.set_level(logging.DEBUG)
    attached = []
    root = logging.getLogger()
    names = [name for name in logging.Logger.manager.loggerDict]
    root.setLevel(logging.DEBUG)
    for logger in [root, *(logging.getLogger(name) for name in names)]:
        # Levels the app configured itself (aiosqlite pinned to INFO) are kept:
        # they are part of what is being tested.
        if (logger is root or not logger.propagate) and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    return attached


async def test_the_canary_address_appears_in_no_public_answer(tmp_path: Path) -> None:
    await canary_flow(tmp_path)


def logged_text(caplog: pytest.LogCaptureFixture, skip: tuple[str, ...]) -> str:
    return "\n".join(
        f"{rec.name} {rec.getMessage()} {rec.args!r} {rec.__dict__!r}"
        for rec in caplog.records
        if not rec.name.startswith(skip)
    )


async def run_with_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    attached = capture_every_logger(caplog)
    try:
        await canary_flow(tmp_path, lambda: attached.extend(capture_every_logger(caplog)))
    finally:
        for logger in attached:
            logger.removeHandler(caplog.handler)
    assert caplog.records, "capture failed"


async def test_the_canary_address_appears_in_no_log_line_of_the_service(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything the service and its libraries log at DEBUG, except aiosqlite (see below)."""
    await run_with_logs(tmp_path, caplog)
    logged = logged_text(caplog, (*CLIENT_LOGGERS, "aiosqlite"))
    assert not leaks(logged), leaks(logged)


async def test_the_canary_address_appears_in_no_log_line_at_all(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await run_with_logs(tmp_path, caplog)
    logged = logged_text(caplog, CLIENT_LOGGERS)
    assert not leaks(logged), leaks(logged)


async def test_an_unknown_include_part_is_not_echoed(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        answer = await site.client.get(f"/v1/articles/post?include={quote(CANARY)}")
        assert answer.status_code == 400
        assert not leaks(answer.text), leaks(answer.text)


async def canary_flow(tmp_path: Path, on_start: Callable[[], object] = lambda: None) -> None:
    """Post with the canary, approve it, then hit every public route; scan the answers."""
    async with open_site(tmp_path, log_level="DEBUG", duplicate_window_seconds=3600) as site:
        on_start()  # the app configured logging on start
        await site.article("closed", comments_open=False)
        await site.article("other")
        r = Recorder(site)
        post = "/v1/articles/post/comments"
        base = {"name": "Canary", "email": CANARY, "website": "https://canary.example"}

        accepted = await r.send("POST", post, json={**base, "body": "Hello *world*"})
        assert accepted.status_code == 202
        receipt = accepted.json()
        cid, edit = receipt["comment"]["id"], {"X-Edit-Token": receipt["edit_token"]}
        await set_status(site.db_path, cid, "approved")
        reply = await r.send("POST", post, json={**base, "body": "A reply", "parent_id": cid})
        assert reply.status_code == 202
        await set_status(site.db_path, reply.json()["comment"]["id"], "approved")

        # Refusals whose request carried the address.
        refusals = [
            ("POST", post, {"json": {**base, "body": "  "}}, 400),
            ("POST", post, {"json": {**base, "body": "x", "name": ""}}, 400),
            ("POST", post, {"json": {**base, "body": "x", "email": CANARY + "@"}}, 400),
            ("POST", post, {"json": {**base, "body": "x", "email": " " + CANARY + "\x00"}}, 400),
            ("POST", post, {"json": {**base, "body": "x", CANARY: 1}}, 400),
            ("POST", post, {"json": {**base, "body": "x", "email": [CANARY]}}, 400),
            ("POST", post, {"json": {**base, "body": "x", "parent_id": CANARY}}, 400),
            ("POST", post, {"json": {**base, "body": "x", "website": "mailto:" + CANARY}}, 400),
            ("POST", post, {"json": {**base, "body": "Hello *world*"}}, 409),
            ("POST", "/v1/articles/closed/comments", {"json": {**base, "body": "y"}}, 403),
            ("POST", "/v1/articles/nowhere/comments", {"json": {**base, "body": "z"}}, 404),
            ("POST", post, {"content": ('{"email": "' + CANARY + '",').encode(),
                            "headers": {"Content-Type": "application/json"}}, 400),
            ("POST", post, {"content": CANARY.encode(),
                            "headers": {"Content-Type": "text/plain"}}, 415),
            ("GET", f"/v1/articles/{quote(CANARY)}", {}, 404),
            ("GET", f"/v1/articles/post/comments?cursor={quote(CANARY)}", {}, 400),
            ("GET", f"/v1/articles/post/comments?sort={quote(CANARY)}", {}, 400),
            ("GET", f"/v1/comments/{quote(CANARY)}", {"headers": {"X-Edit-Token": CANARY}}, 404),
            ("PATCH", f"/v1/comments/{cid}", {"json": {"email": CANARY}, "headers": edit}, 400),
        ]  # fmt: skip
        for method, url, kwargs, status in refusals:
            answer = await r.send(method, url, **kwargs)
            assert answer.status_code == status, (method, url, answer.text)
        assert site.count() == 2

        # Every public read, after approval.
        for url in (
            "/v1/articles",
            "/v1/articles?tag=pain",
            "/v1/articles/post",
            "/v1/articles/post?include=related,comments",
            "/v1/articles/post/related",
            "/v1/articles/post/comments",
            "/v1/articles/post/comments?sort=newest&limit=1",
            "/v1/comments/counts?article=post&article=other",
            "/schema/openapi.json",
        ):
            answer = await r.send("GET", url)
            assert answer.status_code == 200, url
            again = await r.send(
                "GET", url, headers={"If-None-Match": answer.headers.get("etag", "")}
            )
            assert again.status_code in (200, 304)
        thread = (await r.send("GET", "/v1/articles/post/comments")).json()
        assert thread["items"][0]["id"] == cid
        own = await r.send("GET", f"/v1/comments/{cid}", headers=edit)
        assert own.status_code == 200
        edited = await r.send("PATCH", f"/v1/comments/{cid}", json={"body": "Edited"}, headers=edit)
        assert edited.status_code == 200
        r.scan()
        # The address really was stored, so the scan above was not vacuous.
        assert site.query("SELECT email FROM comments WHERE public_id = ?", (cid,)) == [
            (NORMALIZED,)
        ]


def public_structs() -> list[type[msgspec.Struct]]:
    return [
        value
        for value in vars(public_types).values()
        if inspect.isclass(value)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == public_types.__name__
    ]


def test_no_public_wire_type_has_an_email_field() -> None:
    structs = public_structs()
    assert {"PublicComment", "CommentAuthor", "CommentReceipt", "PublicArticle"} <= {
        s.__name__ for s in structs
    }
    for struct in structs:
        names = {field.name for field in msgspec.structs.fields(struct)}
        assert not any("mail" in name for name in names), (struct.__name__, names)


async def test_public_openapi_components_have_no_email_property(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        schemas = (await site.client.get("/schema/openapi.json")).json()["components"]["schemas"]
        for struct in public_structs():
            matching = [name for name in schemas if name.endswith(struct.__name__)]
            for name in matching:
                properties = schemas[name].get("properties", {})
                assert not any("mail" in p for p in properties), (name, sorted(properties))
        assert any(name.endswith("PublicComment") for name in schemas)


def test_avatar_key_is_stable_per_address_and_not_a_plain_hash() -> None:
    keys = Keys(b"s" * 32)
    key = keys.avatar_key(NORMALIZED)
    assert key == keys.avatar_key(NORMALIZED)
    assert key != keys.avatar_key("someone.else@example.org")
    assert key != Keys(b"t" * 32).avatar_key(NORMALIZED)  # keyed by the installation secret
    assert key not in keys.email_key(NORMALIZED)  # one purpose says nothing of another
    for form in (NORMALIZED, CANARY):
        for algorithm in ("md5", "sha1", "sha256", "sha512", "blake2b"):
            assert key not in hashlib.new(algorithm, form.encode()).hexdigest()


async def test_avatar_key_over_the_api_follows_the_normalized_address(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        first = await site.posted(email=CANARY, body="one")
        again = await site.posted(email="  " + NORMALIZED.upper() + " ", body="two")
        other = await site.posted(email="other.person@example.org", body="three")
        key = first["comment"]["author"]["avatar_key"]
        assert again["comment"]["author"]["avatar_key"] == key
        assert other["comment"]["author"]["avatar_key"] != key
        assert not leaks(key) and len(key) == 16
