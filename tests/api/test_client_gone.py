"""A client that disconnects before its request body is complete gets a 400, not a 500.

Litestar raises an internal-server error when the server reports the disconnect
mid-body; the app tells that apart from a fault of its own (service.http.middleware
marks the scope) and neither logs it as an error nor counts it as a 5xx.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Request
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotFoundException,
    ServiceUnavailableException,
)
from litestar.types import Message

from service.app import create_app
from service.http.middleware import CLIENT_GONE
from service.http.problems import handle_http_error, handle_unexpected
from tests.api.comment_fixtures import QUIET, open_site
from tests.api.hot_layers import app_of
from tests.api.test_log_hygiene import capturing
from tests.api.test_metrics import REQUESTS, scrape, value


async def cut_short(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    pending: list[Message] = [{"type": "http.request", "body": b'{"title": "Ha', "more_body": True}]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status: int = sent[0]["status"]
    return status


@pytest.mark.parametrize("metrics_enabled", [True, False])
async def test_a_body_cut_short_is_a_400_logged_as_information(
    tmp_path: Path, metrics_enabled: bool
) -> None:
    async with open_site(tmp_path, metrics_enabled=metrics_enabled) as site:
        auth = (b"authorization", f"Bearer {site.admin_token}".encode())
        json_type = (b"content-type", b"application/json")
        with capturing() as capture:
            status = await cut_short(
                app_of(site), "PUT", "/v1/admin/articles/new-one", [auth, json_type]
            )
        assert status == 400
        assert not [r for r in capture.records if r.levelno >= logging.WARNING]
        assert any("disconnected" in line for line in capture.lines())
        assert (await site.client.get("/v1/articles/new-one")).status_code == 404
        if metrics_enabled:
            text = await scrape(site)
            route = {"method": "PUT", "route": "/v1/admin/articles/{slug}"}
            assert value(text, REQUESTS, **route, status="4xx") == 1
            assert value(text, REQUESTS, **route, status="5xx") == 0


@pytest.mark.parametrize("client_gone", [True, False])
def test_only_litestars_body_cut_short_error_after_a_disconnect_becomes_a_400(
    client_gone: bool,
) -> None:
    app = create_app(replace(QUIET, database=":memory:"))
    scope: dict[str, Any] = {
        "type": "http", "method": "PUT", "path": "/v1/x", "root_path": "", "query_string": b"",
        "headers": [], "app": app, "state": {}, "scheme": "http", "server": ("t", 80),
    }  # fmt: skip
    if client_gone:
        scope[CLIENT_GONE] = True
    request: Request[Any, Any, Any] = Request(scope)  # type: ignore[arg-type]
    cut_short = InternalServerException("client disconnected prematurely")
    assert handle_http_error(request, cut_short).status_code == (400 if client_gone else 500)
    # Every other error is answered as without the mark: a framework 5xx is a
    # logged 500, a 4xx keeps its status.
    others = [
        (InternalServerException("stream consumed"), 500),
        (HTTPException(status_code=500), 500),
        (ServiceUnavailableException(), 500),
        (NotFoundException(), 404),
    ]
    for error, status in others:
        assert handle_http_error(request, error).status_code == status
    assert handle_unexpected(request, RuntimeError("a bug")).status_code == 500
