"""Related articles measured through Byline itself, on 20 Newsgroups.

    python bench/related_byline.py --n 1000 --seed 42

N newsgroup posts become Markdown files that `byline import` (Byline's own
import path) loads as articles; Byline then answers "You may also like these"
for every one of them. Reported: precision@5 (a recommendation is relevant when
it shares the post's newsgroup), the full rebuild time, read latency in process
(the storage call a page makes) and over loopback HTTP from a real
`byline serve`, and the latency of publishing one more article through the
editor path (render, store, update every list it belongs in).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from newsgroups import load_newsgroups, percentile  # noqa: E402

from service.clock import now_text  # noqa: E402
from service.content import articles as article_use_cases  # noqa: E402
from service.content import related  # noqa: E402
from service.content.importer import import_folder  # noqa: E402
from service.storage import related as related_store  # noqa: E402
from service.storage.database import Database  # noqa: E402

K = 5


def write_folder(folder: Path, posts: list[tuple[str, str, str]]) -> dict[str, str]:
    """Markdown files for the posts; returns slug -> newsgroup label."""
    (folder / "authors").mkdir(parents=True)
    (folder / "authors" / "bench.md").write_text("---\nname: Bench Author\n---\nWrites posts.\n")
    labels = {}
    for number, (_, body, label) in enumerate(posts):
        slug = f"post-{number:05}"
        labels[slug] = label
        front = f'---\ntitle: "Post {number}"\nauthor: bench\n---\n'
        (folder / f"{slug}.md").write_text(front + body + "\n", encoding="utf-8")
    return labels


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def measure(args: argparse.Namespace) -> None:
    posts = load_newsgroups(args.n + args.publish, args.seed)
    base, extra = posts[: args.n], posts[args.n :]
    work = Path(tempfile.mkdtemp(prefix="byline-related-"))
    labels = write_folder(work / "content", base)
    database = str(work / "byline.db")
    db = Database(database)
    await db.open()
    try:
        started = time.perf_counter()
        await import_folder(db, str(work / "content"))
        imported = time.perf_counter() - started
        started = time.perf_counter()
        await related.rebuild(db)
        rebuilt = time.perf_counter() - started

        ids = {
            row["slug"]: int(row["id"])
            for row in await db.fetch_all("SELECT id, slug FROM articles")
        }
        hits, reads = 0, []
        now = now_text()
        for slug, article_id in ids.items():
            started = time.perf_counter()
            items = await related_store.list_related(db, article_id, K, now)
            reads.append((time.perf_counter() - started) * 1000)
            hits += sum(labels[row.slug] == labels[slug] for row, _ in items)
        precision = hits / (K * len(ids))

        publishes = []
        for number, (_, body, _) in enumerate(extra):
            data = {
                "title": f"Extra {number}", "body_markdown": body, "author": "bench",
                "tags": [], "status": "published", "published_at": None,
                "comments_open": True, "excerpt": None,
            }  # fmt: skip
            started = time.perf_counter()
            await article_use_cases.save_article(
                db, f"extra-{number:04}", data, on_change=related.article_changed
            )
            publishes.append((time.perf_counter() - started) * 1000)
    finally:
        await db.close()

    http_reads = await over_http(database, list(ids)[: args.http_sample])
    print(f"N={args.n} seed={args.seed}")
    print(f"precision@{K}: {precision:.4f}")
    print(f"import of {args.n} files (incl. one rebuild): {imported:.1f} s")
    print(f"full rebuild: {rebuilt:.1f} s")
    print(
        f"read in process: p50 {percentile(reads, 0.5):.2f} ms, "
        f"p99 {percentile(reads, 0.99):.2f} ms"
    )
    print(
        f"read over loopback HTTP (uncached): p50 {percentile(http_reads, 0.5):.2f} ms, "
        f"p99 {percentile(http_reads, 0.99):.2f} ms"
    )
    if publishes:
        print(
            f"publish one at N={args.n}: p50 {percentile(publishes, 0.5):.1f} ms, "
            f"p99 {percentile(publishes, 0.99):.1f} ms"
        )


async def over_http(database: str, slugs: list[str]) -> list[float]:
    port = free_port()
    env = {**os.environ, "BYLINE_DATABASE": database, "BYLINE_PORT": str(port)}
    server = subprocess.Popen(  # noqa: ASYNC220 (started once, before any timing)
        [sys.executable, "-m", "service", "serve"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    timings = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(100):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            for slug in slugs:
                started = time.perf_counter()
                response = await client.get(f"/v1/articles/{slug}/related", params={"limit": K})
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--publish", type=int, default=100, help="articles published one by one")
    parser.add_argument("--http-sample", type=int, default=500, help="articles read over HTTP")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
