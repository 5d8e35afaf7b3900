"""Byline itself: ``byline serve`` from the repo's .venv, seeded through its HTTP API.

Setup creates a fresh database, an admin token (``byline tokens create``), the
author, the articles and the 200-comment thread (posted, then approved in bulk),
captures the page and the comments list (the ceilings serve exactly these
bytes), and pre-fills a pool of pending comments for the approve cases.
Posting limits are switched off with environment settings while benchmarking.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.parse
from pathlib import Path

from bench import dataset, install, procs, wrk
from bench.client import Client
from bench.paths import BYLINE_DB, WORK
from bench.targets import Case, Prepared, Skip, Target

DB = BYLINE_DB
PAGE_PATH = f"/v1/articles/{dataset.BIG_SLUG}?include=related,comments&limit=100"
LIST_PATH = f"/v1/articles/{dataset.BIG_SLUG}/comments?limit=100"
POST_PATH = f"/v1/articles/{dataset.POST_SLUG}/comments"
COUNTS_PATH = "/v1/comments/counts?" + "&".join(
    f"article={s}" for s in [dataset.BIG_SLUG, *dataset.SMALL_SLUGS]
)
IDS_FILE = WORK / "pending_ids.txt"
SMALL_COMMENTS = 3
MAX_PENDING_IDS = 500_000
# Every post of the load comes from one address (127.0.0.1), and the seeded
# thread repeats some bodies: the flood, rate and duplicate rules are off, as
# Isso's guard is. With them off, a post reads no facts for them.
NO_LIMITS = {
    "BYLINE_POST_MIN_INTERVAL_SECONDS": "0",
    "BYLINE_POST_RATE_LIMIT": "0",
    "BYLINE_DUPLICATE_WINDOW_SECONDS": "0",
}


def _comment_body(c: dataset.Comment) -> dict[str, str]:
    body = {"name": c.name, "email": c.email, "body": c.body}
    if c.website:
        body["website"] = c.website
    return body


class Byline(Target):
    name = "byline"
    token = ""
    _runs = 0

    def setup(self) -> None:
        exe = self.options.byline_bin
        if not exe.exists():
            raise Skip(f"{exe} is missing (make install creates it)")
        self.versions = install.versions(
            exe.parent / "python", ["byline", "litestar", "granian", "msgspec", "aiosqlite"]
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)
        self.start(procs.free_port())
        self.token = self._create_token(exe)
        try:
            self._seed()
            self._capture()
        except (RuntimeError, OSError, KeyError, TypeError, ValueError) as e:
            raise Skip(f"seeding Byline failed: {e}") from e
        self._prefill()

    def start(self, port: int) -> None:
        """Start ``byline serve`` on ``port`` and wait for /healthz."""
        exe = self.options.byline_bin
        argv = [str(exe), "serve", "--host", procs.HOST, "--port", str(port), "--database", str(DB)]
        env = dict(NO_LIMITS)
        if self.options.server != "granian":
            env["BYLINE_SERVER"] = self.options.server  # asked for; Byline may not support it yet
        self.server = procs.start(self.name, argv, port, WORK / "logs" / "byline.log", env=env)
        try:
            procs.wait_ready(self.server, "/healthz")
        except RuntimeError as e:
            raise Skip(f"byline serve did not start: {e}") from e
        log = self.server.log.read_text(errors="replace").lower()
        if self.options.server != "granian" and "granian" in log:
            print(f"  WARNING: Byline ignored BYLINE_SERVER={self.options.server} and runs granian")

    def client(self) -> Client:
        assert self.server
        return Client(self.server.port, self.token)

    def _create_token(self, exe: Path) -> str:
        # The database goes by environment: it works wherever the CLI puts --database.
        argv = [str(exe), "tokens", "create", "--name", "bench", "--role", "admin"]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "BYLINE_DATABASE": str(DB)},
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise Skip(f"byline tokens create failed ({done.returncode}): {done.stderr.strip()}")
        return lines[-1].strip()

    def _seed(self) -> None:
        client = self.client()
        try:
            client.expect(
                (200, 201), "PUT", f"/v1/admin/authors/{dataset.AUTHOR_SLUG}", dataset.AUTHOR
            )
            for slug, article in dataset.articles().items():
                client.expect((200, 201), "PUT", f"/v1/admin/articles/{slug}", article)
            ids = [self._post(client, dataset.BIG_SLUG, c) for c in dataset.thread_comments()]
            extra = dataset.thread_comments(SMALL_COMMENTS * len(dataset.SMALL_SLUGS), seed=8)
            for i, slug in enumerate(dataset.SMALL_SLUGS):
                for c in extra[i * SMALL_COMMENTS : (i + 1) * SMALL_COMMENTS]:
                    ids.append(self._post(client, slug, c))
        finally:
            client.close()
        self.approve(ids)

    def approve(self, ids: list[str]) -> None:
        """Approve the seeded comments through the bulk moderation endpoint."""
        client = self.client()
        try:
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                reply = client.expect(
                    200, "POST", "/v1/moderation/actions", {"action": "approve", "ids": batch}
                )
                bad = [r for r in reply.json()["results"] if r.get("status") != "approved"]
                if bad:
                    raise RuntimeError(f"bulk approve failed for {len(bad)} ids, e.g. {bad[0]}")
        finally:
            client.close()

    @staticmethod
    def _post(client: Client, slug: str, c: dataset.Comment) -> str:
        reply = client.expect(202, "POST", f"/v1/articles/{slug}/comments", _comment_body(c))
        return str(reply.json()["comment"]["id"])

    def _capture(self) -> None:
        client = self.client()
        try:
            page = client.expect(200, "GET", PAGE_PATH)
            listing = client.expect(200, "GET", LIST_PATH)
            etag = page.headers.get("etag")
            revalidated = client.request("GET", PAGE_PATH, headers={"If-None-Match": etag or ""})
        finally:
            client.close()
        if not etag:
            raise RuntimeError(f"GET {PAGE_PATH} has no ETag")
        if revalidated.status != 304:
            raise RuntimeError(f"If-None-Match answered {revalidated.status}, not 304")
        page_items = len(page.json()["comments"]["items"])
        list_items = len(listing.json()["items"])
        self.shared.page_file.write_bytes(page.body)
        self.shared.list_file.write_bytes(listing.body)
        self.shared.page_source = "byline"
        batch = self.options.bulk_batch
        self.cases = {
            "page": Case("page", PAGE_PATH, body_bytes=len(page.body), items=page_items),
            "list": Case("list", LIST_PATH, body_bytes=len(listing.body), items=list_items),
            "304": Case(
                "304",
                PAGE_PATH,
                headers={"If-None-Match": etag},
                expect=frozenset({304}),
                prepare=self._fresh_etag,
            ),
            "counts": Case("counts", COUNTS_PATH),
            "post": Case(
                "post",
                POST_PATH,
                lua="post_comment",
                expect=frozenset({202}),
                prepare=self._post_args,
            ),
            "approve": Case(
                "approve",
                "/v1/moderation/comments",
                lua="approve",
                prepare=lambda: self._approve_args("single", 1),
            ),
            "approve-bulk": Case(
                "approve-bulk",
                "/v1/moderation/actions",
                lua="approve",
                per_request=batch,
                prepare=lambda: self._approve_args("bulk", batch),
            ),
        }

    def _fresh_etag(self) -> Prepared:
        """The page's current ETag: posts and approvals elsewhere change the related
        list's comment counts (the content version), hence the page's ETag."""
        client = self.client()
        try:
            etag = client.expect(200, "GET", PAGE_PATH).headers["etag"]
        finally:
            client.close()
        self.cases["304"].headers["If-None-Match"] = etag
        return Prepared()

    def _post_args(self) -> Prepared:
        self._runs += 1
        run_id = f"b{int(time.time())}r{self._runs}"
        return Prepared([POST_PATH, str(self.shared.bodies_file), run_id, "byline"])

    def _prefill(self) -> None:
        """Create pending comments for the approve cases (not measured)."""
        if self.options.prefill_seconds <= 0 or not self.server:
            return
        args = self._post_args().lua_args
        wrk.run(self.server.base + POST_PATH, duration=self.options.prefill_seconds,
                lua="post_comment", lua_args=args)  # fmt: skip

    def pending_ids(self) -> list[str]:
        """Pending comments of the POST target article, oldest first."""
        client = self.client()
        ids: list[str] = []
        cursor: str | None = None
        base = f"/v1/moderation/comments?status=pending&article={dataset.POST_SLUG}&limit=100"
        try:
            while len(ids) < MAX_PENDING_IDS:
                more = f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""
                page = client.expect(200, "GET", base + more)
                data = page.json()
                ids.extend(str(item["id"]) for item in data["items"])
                cursor = data.get("next_cursor")
                if not cursor:
                    break
        finally:
            client.close()
        return ids

    def _approve_args(self, mode: str, batch: int) -> Prepared:
        ids = self.pending_ids()
        ids = ids[: len(ids) - len(ids) % batch]  # whole batches only
        IDS_FILE.write_text("\n".join(ids) + "\n")
        return Prepared([str(IDS_FILE), self.token, mode, str(batch)], pool=len(ids))
