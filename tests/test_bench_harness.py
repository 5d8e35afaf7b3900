"""The benchmark harness's pure parts: wrk parsing, ratios, /proc accounting, the chart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import dataset, procstat, report, synthetic, wrk
from bench.measure import Run
from tests.api.comment_fixtures import open_site

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40000/page
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    1.02ms  30.11ms   90.00%
    Req/Sec     6.30k   300.00     7.00k    70.00%
  Latency Distribution
     50%    4.90ms
     75%    5.50ms
     90%    6.20ms
     99%  812.00us
  62990 requests in 10.01s, 3.30GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   6292.71
Transfer/sec:    337.60MB
STATUS 200=62985 500=5
"""


def test_wrk_output_is_parsed() -> None:
    r = wrk.parse(WRK_OUTPUT)
    assert r.requests == 62990
    assert r.seconds == pytest.approx(10.01)
    assert r.rps == pytest.approx(6292.71)
    assert (r.p50_ms, r.p90_ms, r.p99_ms) == (4.9, 6.2, 0.812)
    assert r.non_2xx_3xx == 5
    assert r.socket_errors == 3
    assert r.statuses == {200: 62985, 500: 5}


def test_wrk_durations_in_seconds() -> None:
    text = WRK_OUTPUT.replace("99%  812.00us", "99%    2.50s").replace("10.01s", "1.00m")
    r = wrk.parse(text)
    assert r.p99_ms == 2500.0
    assert r.seconds == 60.0


def test_unparseable_output_is_an_error() -> None:
    with pytest.raises(ValueError):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


def _run(target: str, case: str, rnd: int, cpu: float, rps: float = 1000.0) -> Run:
    return Run(
        target=target, case=case, round=rnd, requests=1000, units=1000, seconds=1.0, rps=rps,
        p50_ms=1.0, p99_ms=2.0, cpu_ms=cpu * 1000, cpu_ms_per_unit=cpu, rss_mb=50.0,
        max_worker_rss_mb=50.0, processes=2, non_2xx_3xx=0, unexpected_status=0,
        socket_errors=0, statuses={200: 1000}, foreign_cpu0=0.0,
    )  # fmt: skip


def test_ratios_are_taken_round_by_round_then_the_median() -> None:
    runs = [
        _run("ceiling-litestar", "page", 1, 0.10),
        _run("ceiling-litestar", "page", 2, 0.20),  # a noisy round: both sides slower
        _run("byline", "page", 1, 0.125),
        _run("byline", "page", 2, 0.25),
        _run("isso", "page", 1, 100.0),
        _run("isso", "page", 2, 200.0),
        _run("byline", "page", 0, 9.0),  # warm-up: ignored
    ]
    rows = {(r.target, r.case): r for r in report.summarise(runs, {})}
    byline = rows[("byline", "page")]
    assert byline.rounds == 2
    assert byline.vs_ceiling and byline.vs_ceiling.median == pytest.approx(0.8)
    assert byline.vs_ceiling.lo == byline.vs_ceiling.hi  # same ratio in both rounds
    assert byline.vs_isso and byline.vs_isso.median == pytest.approx(800.0)
    assert rows[("isso", "page")].vs_isso is None


def test_304_is_held_against_the_ceilings_tiny_json() -> None:
    runs = [_run("ceiling-litestar", "tiny", 1, 0.05), _run("byline", "304", 1, 0.05)]
    row = next(r for r in report.summarise(runs, {}) if r.case == "304")
    assert row.vs_ceiling and row.vs_ceiling.median == pytest.approx(1.0)


def test_table_and_chart_render() -> None:
    runs = [_run("ceiling-litestar", "page", 1, 0.1), _run("isso", "page", 1, 150.0)]
    rows = report.summarise(runs, {("isso", "page"): {"body_bytes": 60000}})
    text = report.table(rows)
    assert "ceiling-litestar" in text and "58.6" in text
    svg = report.svg(rows, "test")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_process_tree_cpu_and_rss_of_this_process() -> None:
    s = procstat.sample(os.getpid())
    assert s.processes >= 1
    assert s.rss > 1_000_000
    assert s.cpu_s > 0


def test_dataset_is_deterministic_and_page_sized() -> None:
    a, b = dataset.thread_comments(), dataset.thread_comments()
    assert a == b and len(a) == dataset.THREAD_SIZE
    assert min(len(c.body) for c in a) >= 3  # Isso refuses shorter texts
    assert len({c.email for c in a}) == len(a)
    size = len(json.dumps(synthetic.comments_page()))
    assert 40_000 < size < 80_000  # 100 comments; the whole thread is ~100 KB


def test_a_size_mismatch_with_isso_is_noted() -> None:
    runs = [_run("byline", "page", 1, 0.5), _run("isso", "page", 1, 100.0)]
    info = {("byline", "page"): {"items": 20}, ("isso", "page"): {"items": 100}}
    row = next(r for r in report.summarise(runs, info) if r.target == "byline")
    assert row.extra["notes"] == ["xIsso compares 20 comments here with 100 in Isso's"]


async def test_the_storage_floor_writes_a_comment_as_byline_stores_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import storage_floor

    async with open_site(tmp_path) as site:
        await site.article(storage_floor.SLUG)
        monkeypatch.setenv(storage_floor.DB_ENV, site.db_path)
        await storage_floor.open_db()
        try:
            receipt = await storage_floor.store(
                {"name": "Ada", "email": "ada@example.org", "body": "A floor post."}
            )
        finally:
            await storage_floor.close_db()
        assert receipt["status"] == "pending"
        stored = site.query(
            "SELECT c.status, c.body, a.slug FROM comments c JOIN articles a "
            "ON a.id = c.article_id WHERE c.public_id = ?",
            (receipt["id"],),
        )
        assert stored == [("pending", "A floor post.", storage_floor.SLUG)]
        audit = site.query("SELECT action FROM audit_log WHERE comment_id = ?", (receipt["id"],))
        assert audit == [("submit",)]


def test_writes_are_held_against_the_ceilings_writes() -> None:
    assert (report.ceiling_case("post"), report.isso_case("post")) == ("post", "post")
    assert (report.ceiling_case("approve"), report.isso_case("approve")) == ("approve", None)


async def test_the_storage_floor_decides_as_byline_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import storage_floor
    from moderation.states import Action

    async with open_site(tmp_path) as site:
        posted = await site.posted(email="ada@example.org", body="Judge me.")
        path = f"{storage_floor.DECISIONS}{posted['comment']['id']}/approve"
        assert storage_floor.decision_of(path) == (posted["comment"]["id"], Action.APPROVE)
        assert storage_floor.decision_of(f"{storage_floor.DECISIONS}x/publish") is None
        monkeypatch.setenv(storage_floor.DB_ENV, site.db_path)
        await storage_floor.open_db()
        try:
            decided = await storage_floor.decide(posted["comment"]["id"], Action.APPROVE)
        finally:
            await storage_floor.close_db()
        assert decided["status"] == "approved"
        assert site.query("SELECT status, visibility FROM comments") == [("approved", "shown")]


def _page_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files the ceiling apps read at import."""
    for name in ("page", "list"):
        (tmp_path / f"{name}.json").write_text("{}")
        monkeypatch.setenv(f"BENCH_{name.upper()}_FILE", str(tmp_path / f"{name}.json"))


async def test_both_ceilings_answer_the_writes_with_bylines_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import httpx
    from litestar.testing import AsyncTestClient

    from bench import storage_floor

    _page_files(tmp_path, monkeypatch)
    async with open_site(tmp_path) as site:
        await site.article(storage_floor.SLUG)
        monkeypatch.setenv(storage_floor.DB_ENV, site.db_path)
        comment = {"name": "Ada", "email": "ada@example.org", "body": "Floor."}
        asgi_app = importlib.reload(importlib.import_module("bench.asgi_app")).app
        await storage_floor.open_db()  # the raw app opens it in its lifespan
        try:
            transport = httpx.ASGITransport(app=asgi_app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                raw = await client.post("/post", json=comment)
                decided = await client.post(
                    f"/v1/moderation/comments/{raw.json()['comment']['id']}/approve"
                )
        finally:
            await storage_floor.close_db()
        assert (raw.status_code, decided.status_code) == (202, 200)
        assert decided.json()["status"] == "approved"
        litestar_app = importlib.reload(importlib.import_module("bench.ceiling_app")).app
        async with AsyncTestClient(app=litestar_app) as client:
            posted = await client.post("/post", json=comment)
            spam = await client.post(
                f"/v1/moderation/comments/{posted.json()['comment']['id']}/spam"
            )
        assert (posted.status_code, spam.status_code) == (202, 200)
        statuses = site.query("SELECT status FROM comments ORDER BY id")
        assert statuses == [("approved",), ("spam",)]


async def test_the_raw_ceiling_refuses_to_start_without_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    _page_files(tmp_path, monkeypatch)
    monkeypatch.setenv("BENCH_POST_DB", str(tmp_path / "missing" / "floor.db"))
    asgi_app = importlib.reload(importlib.import_module("bench.asgi_app")).app
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await asgi_app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
