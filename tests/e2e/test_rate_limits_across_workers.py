"""Posting limits hold across worker processes: `byline serve --workers 2`, default limits.

Each round a "client" (its own loopback address, 127.0.0.N) posts twice in a
row on fresh connections, so the two posts often land on different workers. The
second is a 429 with `Retry-After` whichever worker answers, because the flood
check and the insert share one SQLite write transaction. The worker that
answered is read from the `X-Request-Id` prefix (process id + random). Spoofing
`X-Forwarded-For` from an untrusted peer changes nothing. With
PROMETHEUS_MULTIPROC_DIR set, `/metrics` on any worker counts every worker's 429s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e

MAX_ROUNDS = 40
WANTED_CROSS_WORKER_ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BYLINE_", "PROMETHEUS_"))}
    env["BYLINE_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


def _loopback_aliases_work() -> bool:
    """Linux routes all of 127/8 to lo; some systems (macOS) only 127.0.0.1."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.10", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not _loopback_aliases_work():
        pytest.skip("needs 127.0.0.N source addresses to play distinct clients")
    database = tmp_path / "limits.db"
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    token = subprocess.run(
        [sys.executable, "-m", "service", "tokens", "create", "--name", "t", "--role", "admin"],
        env=_env(BYLINE_DATABASE=str(database)),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.splitlines()[-1]
    port = _free_port()
    log = (tmp_path / "server.log").open("ab")
    command = [sys.executable, "-m", "service", "serve", "--workers", "2"]
    proc = subprocess.Popen(
        [*command, "--database", str(database), "--port", str(port)],
        env=_env(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"server exited with {proc.returncode}"
            assert time.monotonic() < deadline, "server did not become ready"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/readyz", timeout=0.5).status_code == 200:
                    break
            time.sleep(0.05)
        admin = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=admin, timeout=10) as client:
            r = client.put("/v1/admin/authors/ann", json={"name": "Ann", "bio": "Writes."})
            assert r.status_code in (200, 201), r.text
            r = client.put(
                "/v1/admin/articles/limits",
                json={"title": "Limits", "body_markdown": "Text.", "author": "ann"},
            )
            assert r.status_code in (200, 201), r.text
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


def post(
    base: str, source: str, email: str, body: str, headers: dict[str, str] | None = None
) -> tuple[httpx.Response, str]:
    """One post on a fresh connection from `source`; returns the answer and its worker."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=base, transport=transport, timeout=10) as client:
        r = client.post(
            "/v1/articles/limits/comments",
            json={"name": "Reader", "email": email, "body": body},
            headers=headers,
        )
    return r, r.headers["x-request-id"].split("-", 1)[0]


def assert_limited(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["retry-after"]) <= 15


def rate_limited_total(base: str) -> float:
    text = httpx.get(base + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "byline_comment_submissions_total" and sample.labels == {
                "outcome": "rate_limited"
            }:
                return sample.value
    return 0.0


def test_the_flood_limit_holds_whichever_worker_answers(server: str) -> None:
    workers: set[str] = set()
    cross_worker = 0
    refused = 0
    rounds = 0
    for k in range(MAX_ROUNDS):
        rounds += 1
        source = f"127.0.0.{10 + k}"
        first, w1 = post(server, source, f"first{k}@example.org", f"First comment {k}.")
        assert first.status_code == 202, first.text
        # Same client, another address and body: the per-client rule refuses it.
        second, w2 = post(server, source, f"second{k}@example.org", f"Second comment {k}.")
        assert_limited(second)
        # Claiming to be someone else from an untrusted peer changes nothing.
        spoofed, w3 = post(
            server,
            source,
            f"third{k}@example.org",
            f"Third comment {k}.",
            headers={"X-Forwarded-For": f"198.51.100.{k + 1}"},
        )
        assert_limited(spoofed)
        refused += 2
        workers |= {w1, w2, w3}
        cross_worker += (w1 != w2) + (w1 != w3)
        if cross_worker >= WANTED_CROSS_WORKER_ROUNDS and len(workers) >= 2:
            break
    # The per-address rule too: round 0's address, from a new client, on any worker.
    again, _ = post(server, "127.0.0.250", "first0@example.org", "From elsewhere.")
    assert_limited(again)
    refused += 1
    summary = f"rounds={rounds} workers={len(workers)} cross-worker refusals={cross_worker}"
    print(summary)
    assert len(workers) == 2, summary
    assert cross_worker >= WANTED_CROSS_WORKER_ROUNDS, summary
    # Every worker's /metrics sums every worker's counters.
    for _ in range(6):
        assert rate_limited_total(server) == refused
