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

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.servers import Server, byline, byline_env, publish

pytestmark = pytest.mark.e2e

MAX_ROUNDS = 40
WANTED_CROSS_WORKER_ROUNDS = 3


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
    env = byline_env(BYLINE_LOG_LEVEL="WARNING", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    token = byline(
        "tokens", "create", "--name", "t", "--role", "admin",
        env=byline_env(BYLINE_DATABASE=str(database)),
    )  # fmt: skip
    running = Server(database, args=["--workers", "2"], env=env)
    base = running.url
    try:
        publish(base, token, "limits")
        yield base
    finally:
        running.stop()


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


def metric(base: str, name: str, **labels: str) -> float:
    text = httpx.get(base + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def rate_limited_total(base: str) -> float:
    return metric(base, "byline_comment_submissions_total", outcome="rate_limited")


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
        # Group commits too: one accepted post per round, plus the article's publication.
        assert metric(server, "byline_write_batch_size_sum") >= rounds + 1
