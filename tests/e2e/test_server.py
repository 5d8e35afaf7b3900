"""`byline serve --demo` as a real process, spoken to over real HTTP.

This is `make run`'s command (`byline serve --demo`), started with this
interpreter so it works from any virtual environment. One server serves the
whole module; the shutdown test starts its own.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Server, byline_env, free_port

pytestmark = pytest.mark.e2e

DRAFT = "dry-needling-vs-acupuncture"  # the demo's one draft


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("e2e")
    running = Server(folder / "byline.db", args=["--demo"], cwd=folder)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_the_demo_is_served(http: httpx.Client) -> None:
    response = http.get("/v1/articles?limit=100")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) >= 12
    assert len({item["author"]["slug"] for item in items}) >= 2
    assert DRAFT not in {item["slug"] for item in items}
    assert http.get(f"/v1/articles/{DRAFT}").status_code == 404
    first = http.get(f"/v1/articles/{items[0]['slug']}?include=related,comments")
    assert first.status_code == 200
    assert first.json()["author"]["bio"]


def test_ready(http: httpx.Client) -> None:
    assert http.get("/readyz").json() == {"status": "ready"}


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append((tag, value))


def test_the_docs_page_loads_nothing_from_elsewhere(http: httpx.Client) -> None:
    page = http.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parser = Assets()
    parser.feed(page.text)
    assert {tag for tag, _ in parser.urls} >= {"script", "link"}
    for tag, url in parser.urls:
        assert not url.startswith(("http:", "https:", "//")), (tag, url)
    assert "url(http" not in page.text and "@import" not in page.text
    for _, url in parser.urls:
        asset = http.get(url)
        assert asset.status_code == 200, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"], url
            assert len(asset.content) > 10_000, url
        if url.endswith(".css"):
            assert asset.headers["content-type"].startswith("text/css"), url


def test_the_openapi_document(http: httpx.Client) -> None:
    response = http.get("/schema/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path, required in [
        ("/v1/admin/authors/{slug}", {"name"}),
        ("/v1/admin/articles/{slug}", {"title", "body_markdown", "author"}),
    ]:
        body = paths[path]["put"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert body["required"] is True
        assert set(schema["required"]) == required
        assert schema["additionalProperties"] is False
    assert "/v1/articles" in paths and "/v1/articles/{slug}" in paths


def test_the_openapi_document_lists_the_answers_the_server_gives(http: httpx.Client) -> None:
    document = http.get("/schema/openapi.json").json()
    slug = http.get("/v1/articles").json()["items"][0]["slug"]
    current = {"If-None-Match": http.get(f"/v1/articles/{slug}").headers["etag"]}
    plain_text = {"Content-Type": "text/plain"}
    asked = [  # (method, documented path, answer)
        ("get", "/v1/articles/{slug}", http.get("/v1/articles/nothing")),
        ("get", "/v1/articles/{slug}", http.get(f"/v1/articles/{slug}", headers=current)),
        ("get", "/v1/articles", http.get("/v1/articles?limit=0")),
        ("get", "/v1/comments/counts", http.get("/v1/comments/counts")),
        ("post", "/v1/articles/{slug}/comments",
         http.post(f"/v1/articles/{slug}/comments", content=b"hi", headers=plain_text)),
        ("post", "/v1/moderation/comments/{comment_id}/approve",
         http.post("/v1/moderation/comments/abc/approve")),
        ("put", "/v1/admin/authors/{slug}", http.put("/v1/admin/authors/x", json={"name": "X"})),
    ]  # fmt: skip
    for method, path, answer in asked:
        listed = document["paths"][path][method]["responses"]
        assert str(answer.status_code) in listed, (method, path, answer.status_code)
        if answer.status_code >= 400:
            content = listed[str(answer.status_code)]["content"]
            assert answer.headers["content-type"] in content, (method, path)
    # No error is documented in Litestar's own shape, which Byline never sends.
    assert '"status_code"' not in json.dumps(document)
    assert "201" in document["paths"]["/v1/admin/articles/{slug}"]["put"]["responses"]
    approve = document["paths"]["/v1/moderation/comments/{comment_id}/approve"]["post"]
    assert approve["requestBody"]["required"] is False
    assert "HEAD" in document["info"]["description"]
    # And nothing it never answers: a bad path segment is a 404, not a 400; a
    # change to one's own comment answers 403 for an id it cannot find.
    assert "400" not in document["paths"]["/v1/admin/articles/{slug}"]["get"]["responses"]
    own = document["paths"]["/v1/comments/{comment_id}"]
    assert "404" not in own["patch"]["responses"] and "404" not in own["delete"]["responses"]
    assert http.delete("/v1/comments/nosuch", headers={"X-Edit-Token": "t"}).status_code == 403


def test_a_token_made_on_the_command_line_works_at_once(server: Server, http: httpx.Client) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "service", "tokens", "create", "--name", "e2e", "--role", "editor",
         "--database", str(server.database)],
        capture_output=True, text=True, env=byline_env(), timeout=30, check=True,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {made.stdout.splitlines()[-1]}"}
    article = {"title": "Hello from e2e", "body_markdown": "Hi.", "author": "maya-okafor"}

    put = http.put("/v1/admin/articles/hello-e2e", json=article, headers=headers)

    assert put.status_code == 201, put.text
    assert http.get("/v1/articles?limit=1").json()["items"][0]["slug"] == "hello-e2e"


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    server = Server(tmp_path / "byline.db", cwd=tmp_path)
    began = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=10)
    assert code == 0, server.output()
    assert time.monotonic() - began < 5
    # The server's own lines (granian's) are in the app's log shape.
    lines = server.output().splitlines()
    shaped = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO granian request_id=- \S")
    assert any(shaped.match(line) for line in lines), lines
    assert not [line for line in lines if line.startswith("[")], lines


@pytest.mark.parametrize(("level", "heard"), [("INFO", True), ("WARNING", False)])
def test_the_servers_own_lines_go_to_stderr_at_the_log_level(
    tmp_path: Path, level: str, heard: bool
) -> None:
    # Server merges the two streams; this one keeps them apart.
    command = [sys.executable, "-m", "service", "serve", "--workers", "2"]
    command += ["--database", str(tmp_path / "byline.db"), "--port", str(free_port())]
    process = subprocess.Popen(
        command,
        env=byline_env(BYLINE_LOG_LEVEL=level),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(3)  # long enough to start both workers
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert out == b""
    assert (b" granian request_id=- " in err) == heard, err
