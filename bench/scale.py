"""Scale runs (issue 7, item 2): is Byline flat as the data grows?

Two databases, both made by `byline migrate` and then filled straight through
sqlite3 (through HTTP a million comments would take hours):

- small: one article with 200 approved comments, five small articles, and
  100 pending (enough to fill every queue page, so both answer the same rows);
- large: 1,000,000 comments over --articles articles, one article with 100,000
  approved comments, 100,000 pending in the moderation queue.

Comments are 80 % top-level and 20 % replies (depth 1), visibility set as
moderation sets it (approved -> 'shown', else 'hidden'), `comment_count` exact.
Then `byline serve` runs on each in turn (pinned to CPU 0, this client on CPU 1)
and every case is timed with sequential keep-alive requests whose URLs are all
different, so the in-process response cache never answers (an uncached request
is the one that touches the indexes; the cached first page is a case of its own):

- first page: GET /v1/articles/{big}/comments?limit=N (N varies: 20..69);
- deep page: the same with a signed cursor far into the thread (limit=20);
- queue: GET /v1/moderation/comments?status=pending&limit=N;
- counts: GET /v1/comments/counts?article=... (6 slugs, varied);
- first page, cached: one URL repeated.

The report gives p50/p99 latency and server CPU ms/request for both, and the
ratio large/small (bar: within 1.5x). `make bench-scale` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import procs, procstat
from bench.client import Client
from bench.paths import REPO, WORK

BYLINE = REPO / ".venv" / "bin" / "byline"
BASE_EPOCH = 1_700_000_000
BIG_SLUG = "big-thread"
BODY = "A comment with a little weight to it, about the article and the tools it names. "


def stamp(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def migrate(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run([str(BYLINE), "migrate", "--database", str(db)], check=True, timeout=120)


def generate(db: Path, *, articles: int, big: int, others: int, pending: int) -> float:
    """Fill a migrated database; returns seconds spent."""
    started = time.monotonic()
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -200000")
        # Indexes are dropped for the bulk load and rebuilt with their own SQL after.
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'comments' "
            "AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        now = stamp(BASE_EPOCH)
        conn.execute(
            "INSERT INTO authors (id, slug, name, bio, bio_html, created_at, updated_at) "
            "VALUES (1, 'ada', 'Ada Writer', 'Writes.', '<p>Writes.</p>', ?, ?)",
            (now, now),
        )
        conn.executemany(
            "INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt, author_id, "
            "status, published_at, comments_open, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, 'published', ?, 1, ?, ?)",
            (
                (
                    i,
                    BIG_SLUG if i == 1 else f"article-{i}",
                    f"Article {i}",
                    f"Text of article {i}.",
                    f"<p>Text of article {i}.</p>",
                    f"Text of article {i}.",
                    stamp(BASE_EPOCH - 86_400 + i),
                    now,
                    now,
                )
                for i in range(1, articles + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO article_tags (article_id, tag, position) VALUES (?, ?, 0)",
            ((i, f"tag-{i % 50}") for i in range(1, articles + 1)),
        )
        rng = random.Random(7)
        roots: dict[int, list[int]] = {}
        shown: dict[int, int] = {}

        def rows() -> Iterator[tuple[object, ...]]:
            # (article, status) for every comment, in time order, interleaved.
            plan = [(1, "approved")] * big
            plan += [(2 + i % max(articles - 1, 1), "approved") for i in range(others)]
            plan += [(1 + rng.randrange(articles), "pending") for _ in range(pending)]
            rng.shuffle(plan)
            for cid, (article, status) in enumerate(plan, 1):
                mine = roots.setdefault(article, [])
                reply = status == "approved" and mine and rng.random() < 0.2
                parent = rng.choice(mine) if reply else None
                if status == "approved":
                    shown[article] = shown.get(article, 0) + 1
                    if parent is None:
                        mine.append(cid)
                yield (
                    cid,
                    f"c{cid:09d}",
                    article,
                    parent,
                    parent if parent is not None else cid,
                    1 if parent is not None else 0,
                    status,
                    "shown" if status == "approved" else "hidden",
                    f"Reader {cid % 997}",
                    f"reader{cid % 997}@example.org",
                    BODY,
                    f"<p>{BODY}</p>",
                    f"{cid % 997:064x}",
                    f"{cid % 997:016x}",
                    f"{cid % 991:064x}",
                    f"{cid:032x}",
                    stamp(BASE_EPOCH + cid),
                )

        conn.executemany(
            "INSERT INTO comments (id, public_id, article_id, parent_id, thread_id, depth, status, "
            "visibility, name, email, body, body_html, email_key, avatar_key, client_key, "
            "body_fingerprint, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),
        )
        conn.executemany(
            "UPDATE articles SET comment_count = ? WHERE id = ?",
            ((n, article) for article, n in shown.items()),
        )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.monotonic() - started


def make_token(db: Path) -> str:
    done = subprocess.run(
        # A fresh name each run: --reuse keeps a database whose "scale" token is live.
        [str(BYLINE), "tokens", "create", "--name", f"scale-{os.getpid()}", "--role", "moderator"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "BYLINE_DATABASE": str(db)},
    )
    return done.stdout.strip().splitlines()[-1].strip()


def deep_cursors(db: Path, count: int) -> list[str]:
    """Signed cursors into the second half (small) or the last 90 % (large) of the thread."""
    from service.cursors import make_cursor
    from service.keys import Keys

    with closing(sqlite3.connect(db)) as conn:
        secret = conn.execute("SELECT value FROM installation WHERE key = 'secret'").fetchone()[0]
        rows = conn.execute(
            "SELECT created_at, id FROM comments WHERE article_id = 1 AND parent_id IS NULL "
            "AND visibility <> 'hidden' ORDER BY created_at, id"
        ).fetchall()
    keys = Keys(bytes.fromhex(secret))
    start = len(rows) // 2 if len(rows) < 1000 else len(rows) // 10
    pool = rows[start:-70]
    picks = random.Random(3).sample(pool, min(count, len(pool)))
    return [make_cursor(keys, "comments.1.oldest", [at, cid]) for at, cid in picks]


def cases(db: Path, n: int, articles: int) -> dict[str, list[str]]:
    base = f"/v1/articles/{BIG_SLUG}/comments"
    deep = deep_cursors(db, n)
    limits = [20 + i % 50 for i in range(n)]
    rng = random.Random(5)
    slugs = [BIG_SLUG] + [f"article-{i}" for i in range(2, articles + 1)]
    return {
        "first page": [
            f"{base}?limit={limit}&sort={'oldest' if i % 2 else 'newest'}"
            for i, limit in enumerate(limits)
        ],
        # Distinct (cursor, limit) pairs: the small thread has fewer deep cursors than n.
        "deep page (cursor)": [
            f"{base}?limit={20 + (i // len(deep)) % 50}&cursor={deep[i % len(deep)]}"
            for i in range(n)
        ],
        "moderation queue": [
            f"/v1/moderation/comments?status=pending&limit={lim}" for lim in limits
        ],
        "counts (6 articles)": [
            "/v1/comments/counts?" + "&".join(f"article={s}" for s in rng.sample(slugs, 6))
            for _ in range(n)
        ],
        "first page, cached": [f"{base}?limit=20"] * n,
    }


def measure(server: procs.Server, client: Client, paths: list[str]) -> dict[str, float]:
    client.expect(200, "GET", paths[0])  # warm the connection (and, for cached, the cache)
    latencies = []
    before = procstat.sample(server.pid)
    for path in paths:
        t0 = time.perf_counter()
        reply = client.request("GET", path)
        latencies.append((time.perf_counter() - t0) * 1000)
        if reply.status != 200:
            raise RuntimeError(f"{path} answered {reply.status}: {reply.body[:300]!r}")
    after = procstat.sample(server.pid)
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "cpu_ms_per_req": (after.cpu_s - before.cpu_s) * 1000 / len(paths),
        "rss_mb": after.max_rss / 1e6,
    }


def run_world(db: Path, n: int, articles: int) -> dict[str, dict[str, float]]:
    token = make_token(db)
    port = procs.free_port()
    argv = [str(BYLINE), "serve", "--host", procs.HOST, "--port", str(port), "--database", str(db)]
    server = procs.start("byline-scale", argv, port, WORK / "logs" / "byline-scale.log", cpu=0)
    try:
        procs.wait_ready(server, "/healthz")
        client = Client(port, token)
        out = {}
        for name, paths in cases(db, n, articles).items():
            out[name] = measure(server, client, paths)
            print(f"    {name:22} p50 {out[name]['p50_ms']:7.2f} ms  "
                  f"CPU {out[name]['cpu_ms_per_req']:6.2f} ms/req", flush=True)  # fmt: skip
        client.close()
        return out
    finally:
        procs.stop(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000, help="total in the large db")
    parser.add_argument("--big", type=int, default=100_000, help="approved on the big article")
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=300, help="per case")
    parser.add_argument("--reuse", action="store_true", help="keep an existing large db")
    parser.add_argument("--results", type=Path, default=WORK / "scale.json")
    args = parser.parse_args(argv)
    procs.install_cleanup()
    os.sched_setaffinity(0, {1})
    WORK.mkdir(exist_ok=True)
    small, large = WORK / "byline-small.db", WORK / "byline-scale.db"
    worlds: list[tuple[str, Path, int, Callable[[], float]]] = [
        ("small", small, 6, lambda: generate(small, articles=6, big=200, others=15, pending=100)),
        (
            "large",
            large,
            args.articles,
            lambda: generate(
                large,
                articles=args.articles,
                big=args.big,
                others=args.comments - args.big - args.pending,
                pending=args.pending,
            ),
        ),
    ]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, db, articles, fill in worlds:
        if not (args.reuse and name == "large" and db.exists()):
            migrate(db)
            print(f"generating {name} ...", flush=True)
            print(f"  {fill():.1f}s", flush=True)
        print(f"measuring {name} ({args.requests} requests per case) ...", flush=True)
        results[name] = run_world(db, args.requests, articles)
    print()
    print("| case | 200 comments: p50 ms / CPU ms | 1M comments: p50 ms / CPU ms | "
          "ratio (p50, CPU) | within 1.5x |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    summary = {}
    for case, s in results["small"].items():
        big = results["large"][case]
        r50, rcpu = (
            big["p50_ms"] / s["p50_ms"],
            big["cpu_ms_per_req"] / max(s["cpu_ms_per_req"], 1e-9),
        )
        ok = max(r50, rcpu) <= 1.5
        summary[case] = {"small": s, "large": big, "ratio_p50": r50, "ratio_cpu": rcpu, "ok": ok}
        print(f"| {case} | {s['p50_ms']:.2f} / {s['cpu_ms_per_req']:.2f} | "
              f"{big['p50_ms']:.2f} / {big['cpu_ms_per_req']:.2f} | "
              f"{r50:.2f}x, {rcpu:.2f}x | {'yes' if ok else 'NO'} |")  # fmt: skip
    args.results.write_text(json.dumps({"args": vars(args) | {"results": str(args.results)},
                                        "cases": summary}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
