"""The peer: Isso from PyPI, in its own venv, under gunicorn as its docs recommend.

Config written for the benchmark: the rate-limit guard off, moderation off (new
comments are public at once), everything else Isso's defaults (Markdown via
mistune, sanitizing with bleach, PBKDF2 identicon hashes). Seeded through its
own HTTP API: ``POST /new?uri=...`` (the first comment of a thread carries its
title, so Isso never fetches the page), read back with ``GET /?uri=...``.
"""

from __future__ import annotations

import json
import shutil
import time

from bench import dataset, install, procs
from bench.client import Client
from bench.paths import WORK
from bench.targets import Case, Prepared, Target

ISSO_DIR = WORK / "isso"
BIG_URI = f"/bench/{dataset.BIG_SLUG}"
POST_URI = f"/bench/{dataset.POST_SLUG}"
SMALL_URIS = [f"/bench/{slug}" for slug in dataset.SMALL_SLUGS]
SMALL_COMMENTS = 3
PAGE_PATH = f"/?uri={BIG_URI}&limit=100"  # the same 100 comments as Byline's page
THREAD_PATH = f"/?uri={BIG_URI}"  # all 200

CONFIG = """\
[general]
dbpath = {db}
host = http://127.0.0.1:{port}/
notify = stdout
gravatar = false

[moderation]
enabled = false

[guard]
enabled = false
require-author = false
require-email = false

[server]
listen = http://127.0.0.1:{port}/
"""


def _new(client: Client, uri: str, comment: dataset.Comment, title: str | None) -> None:
    body: dict[str, object] = {"author": comment.name, "email": comment.email, "text": comment.body}
    if comment.website:
        body["website"] = comment.website
    if title:
        body["title"] = title
    client.expect((201, 202), "POST", f"/new?uri={uri}", body)


class Isso(Target):
    name = "isso"

    def setup(self) -> None:
        bin_dir = install.ensure_isso()
        self.versions = install.versions(bin_dir / "python", ["isso", "gunicorn"])
        shutil.rmtree(ISSO_DIR, ignore_errors=True)
        ISSO_DIR.mkdir(parents=True)
        port = procs.free_port()
        cfg = ISSO_DIR / "isso.cfg"
        cfg.write_text(CONFIG.format(db=ISSO_DIR / "comments.db", port=port))
        argv = [
            str(bin_dir / "gunicorn"), "-b", f"{procs.HOST}:{port}",
            "-w", str(self.options.isso_workers), "--preload", "isso.run",
        ]  # fmt: skip
        self.server = procs.start(
            self.name, argv, port, WORK / "logs" / "isso.log", env={"ISSO_SETTINGS": str(cfg)}
        )
        procs.wait_ready(self.server, "/config")
        self._seed(Client(port))

    def _seed(self, client: Client) -> None:
        for i, comment in enumerate(dataset.thread_comments()):
            _new(client, BIG_URI, comment, dataset.BIG_TITLE if i == 0 else None)
        extra = dataset.thread_comments(SMALL_COMMENTS * len(SMALL_URIS) + 1, seed=8)
        for i, uri in enumerate(SMALL_URIS):
            for j in range(SMALL_COMMENTS):
                _new(client, uri, extra[i * SMALL_COMMENTS + j], uri if j == 0 else None)
        _new(client, POST_URI, extra[-1], "POST target")

        page = client.expect(200, "GET", PAGE_PATH)
        thread = client.expect(200, "GET", THREAD_PATH)
        n_page, n_thread = len(page.json()["replies"]), len(thread.json()["replies"])
        if n_thread != dataset.THREAD_SIZE:
            raise RuntimeError(f"Isso's thread has {n_thread} comments, not {dataset.THREAD_SIZE}")
        (ISSO_DIR / "thread.json").write_bytes(thread.body)
        client.close()

        counts = json.dumps([BIG_URI, *SMALL_URIS])
        self.cases = {
            "page": Case("page", PAGE_PATH, body_bytes=len(page.body), items=n_page),
            "thread": Case("thread", THREAD_PATH, body_bytes=len(thread.body), items=n_thread),
            "counts": Case("counts", "/count", lua="static", lua_args=["POST", "/count", counts]),
            "post": Case(
                "post",
                f"/new?uri={POST_URI}",
                lua="post_comment",
                expect=frozenset({201, 202}),
                prepare=lambda: Prepared(self._post_args()),
            ),
        }

    _runs = 0

    def _post_args(self) -> list[str]:
        self._runs += 1
        run_id = f"i{int(time.time())}r{self._runs}"
        return [f"/new?uri={POST_URI}", str(self.shared.bodies_file), run_id, "isso"]
