"""Log hygiene: every line of a request carries its id; no body, token or address is logged.

A flow with a crash: a use-case function is made to raise an exception whose
message (and whose cause's message) quotes the commenter's address and a bearer
token, as careless code might. The 500 answer must not show the message, the log
must carry the request id and a traceback a developer can use, and no captured
log line, formatted exactly as the app formats them, may contain the address (in
any spelling), a token or a request body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from service.comments import posting
from service.http.middleware import LOG_FORMAT
from service.http.problems import crash_report
from tests.api.comment_fixtures import open_site
from tests.api.test_privacy import CANARY, leaks

BODY_TEXT = "Body-canary-5f1c: a sentence only the request body holds."
CRASH_BODY_TEXT = "Body-canary-9a7e: the body of the request that crashed."
BAD_TOKEN = "bad-token-canary-0d9f3c6e1b2a"
CRASH_MESSAGE = "could not store the comment"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [self.format(record) for record in self.records]


@contextmanager
def capturing() -> Iterator[Capture]:
    """Every logger, at DEBUG, formatted with the app's own format (app levels kept)."""
    capture = Capture()
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(n) for n in list(logging.Logger.manager.loggerDict))]
    attached = [lg for lg in loggers if lg is root or not lg.propagate]
    old_level = root.level
    root.setLevel(logging.DEBUG)
    for logger in attached:
        logger.addHandler(capture)
    try:
        yield capture
    finally:
        for logger in attached:
            logger.removeHandler(capture)
        root.setLevel(old_level)


def crash(*args: Any, **kwargs: Any) -> Any:
    try:
        raise ValueError(f"address {CANARY} is odd")
    except ValueError as exc:
        raise RuntimeError(f"{CRASH_MESSAGE} for {CANARY} with {BAD_TOKEN}") from exc


async def test_a_crash_is_logged_with_its_request_id_and_without_user_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_site(tmp_path, log_level="DEBUG") as site:
        admin = {"Authorization": f"Bearer {site.admin_token}"}
        with capturing() as capture:
            accepted = await site.post(email=CANARY, body=BODY_TEXT)
            assert accepted.status_code == 202
            queue = await site.client.get("/v1/moderation/comments", headers=admin)
            assert queue.status_code == 200
            refused = await site.client.get(
                "/v1/moderation/comments", headers={"Authorization": f"Bearer {BAD_TOKEN}"}
            )
            assert refused.status_code == 401
            exported = await site.client.post(
                "/v1/moderation/privacy/export", json={"email": CANARY}, headers=admin
            )
            assert exported.status_code == 200
            monkeypatch.setattr(posting, "submit", crash)
            crashed = await site.post(email=CANARY, body=CRASH_BODY_TEXT, headers=admin)

    # The answer: a problem document with the id to quote, and nothing of the exception.
    assert crashed.status_code == 500
    rid = crashed.headers["x-request-id"]
    body = crashed.json()
    assert body["request_id"] == rid and rid in body["detail"]
    for secret in (CRASH_MESSAGE, "RuntimeError", "ValueError", BAD_TOKEN, site.admin_token):
        assert secret not in crashed.text
    assert not leaks(crashed.text)

    # The log: the crash, once, with its id and a usable traceback.
    errors = [r for r in capture.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert getattr(errors[0], "request_id", None) == rid
    crash_line = capture.format(errors[0])
    assert f"request_id={rid}" in crash_line
    assert "builtins.RuntimeError" in crash_line and "builtins.ValueError" in crash_line
    assert "in crash" in crash_line  # the frame that raised
    # A record made during a request carries that request's id.
    auth_records = [r for r in capture.records if r.name == "byline.auth"]
    assert auth_records
    assert {getattr(r, "request_id", None) for r in auth_records} == {
        refused.headers["x-request-id"]
    }

    # Nothing private anywhere in what was logged (the test's own HTTP client aside).
    text = "\n".join(
        capture.format(r) for r in capture.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert capture.records, "capture failed"
    assert not leaks(text), leaks(text)
    for secret in (
        site.admin_token,
        BAD_TOKEN,
        BODY_TEXT,
        CRASH_BODY_TEXT,
        CRASH_MESSAGE,
        "Body-canary",
    ):
        assert secret not in text, secret


def test_the_crash_report_keeps_safe_database_messages() -> None:
    import sqlite3

    try:
        raise sqlite3.OperationalError("no such table: nowhere")
    except sqlite3.OperationalError as exc:
        report = crash_report(exc)
    assert "no such table: nowhere" in report
    assert report.startswith("Traceback (most recent call last):")
