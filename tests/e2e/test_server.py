"""`byline serve --demo` as a real process, spoken to over real HTTP.

This is `make run`'s command (`byline serve --demo`), started with this
interpreter so it works from any virtual environment. One server serves the
whole module; the shutdown test starts its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

START_TIMEOUT = 20.0
DRAFT = "dry-needling-vs-acupuncture"  # the demo's one draft


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    database: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}


def start(folder: Path, *extra: str) -> Server:
    database = str(folder / "byline.db")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service",
                "serve",
                "--database",
                database,
                "--port",
                str(port),
                *extra,
            ],
            cwd=folder,
            env=clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", database, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    stop(server)
    pytest.fail(f"the server did not answer /healthz in {START_TIMEOUT}s:\n{log.read_text()}")


def stop(server: Server) -> int:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    return server.process.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(tmp_path_factory.mktemp("e2e"), "--demo")
    try:
        yield running
    finally:
        stop(running)


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


def test_a_token_made_on_the_command_line_works_at_once(server: Server, http: httpx.Client) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "service", "tokens", "create", "--name", "e2e", "--role", "editor",
         "--database", server.database],
        capture_output=True, text=True, env=clean_env(), timeout=30, check=True,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {made.stdout.splitlines()[-1]}"}
    article = {"title": "Hello from e2e", "body_markdown": "Hi.", "author": "maya-okafor"}

    put = http.put("/v1/admin/articles/hello-e2e", json=article, headers=headers)

    assert put.status_code == 201, put.text
    assert http.get("/v1/articles?limit=1").json()["items"][0]["slug"] == "hello-e2e"


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    server = start(tmp_path)
    began = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=10)
    assert code == 0, server.log.read_text()
    assert time.monotonic() - began < 5
