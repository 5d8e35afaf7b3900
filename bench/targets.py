"""What a target is (a server process plus the cases it answers), and the ceilings.

A target starts one real server pinned to CPU 0, seeds it, and offers cases.
Case names are shared across targets so the report can line them up:

=============  ==========================================  ==================
case           meaning                                     compared with
=============  ==========================================  ==================
page           article page with comments                  ceiling page, Isso page
list           comments list, one page (limit=100)         ceiling list, Isso page
tiny           tiny JSON (ceilings only)                   -
304            conditional GET answered 304                ceiling tiny
counts         comment counts of 6 articles                ceiling tiny, Isso counts
post           POST a new comment                          ceiling post, Isso post
approve        one moderator decision per request          ceiling approve
approve-bulk   a batch of decisions per request            -
thread         Isso only: the whole 200-comment thread     -
=============  ==========================================  ==================
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from bench import dataset, install, procs
from bench.paths import BYLINE_DB, REPO, WORK

CASE_ORDER = ["page", "list", "thread", "tiny", "304", "counts", "post", "approve", "approve-bulk"]
CEILING = "ceiling-litestar"
PEER = "isso"
# case → (the ceiling case it is held against, the Isso case it is held against)
COMPARE: dict[str, tuple[str | None, str | None]] = {
    "page": ("page", "page"),
    "list": ("list", "page"),
    "304": ("tiny", None),
    "counts": ("tiny", "counts"),
    "post": ("post", "post"),
    "approve": ("approve", None),
}


@dataclass
class Prepared:
    """What a case needs for one run, computed just before it."""

    lua_args: list[str] = field(default_factory=list)
    pool: int | None = None  # how many pending comments the approve cases cycle through


@dataclass
class Case:
    name: str
    path: str
    lua: str | None = None  # a script in bench/lua/, without .lua
    lua_args: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    expect: frozenset[int] = frozenset({200})
    per_request: int = 1  # units (comments, decisions) per request
    body_bytes: int | None = None
    items: int | None = None  # comments in one response
    prepare: Callable[[], Prepared] | None = None


@dataclass
class Options:
    server: str = "granian"  # granian | uvicorn, for the ceilings (and asked of Byline)
    byline_bin: Path = REPO / ".venv" / "bin" / "byline"
    isso_workers: int = 4
    prefill_seconds: float = 5.0
    bulk_batch: int = 50


@dataclass
class Shared:
    """Files the targets share: the page bytes the ceilings serve, the POST bodies."""

    page_file: Path = WORK / "page.json"
    list_file: Path = WORK / "list.json"
    bodies_file: Path = WORK / "post_bodies.txt"
    page_source: str = "synthetic"


class Skip(Exception):
    """A target that cannot run here; the message says why."""


class Target(ABC):
    name: str
    server: procs.Server | None = None

    def __init__(self, options: Options, shared: Shared) -> None:
        self.options = options
        self.shared = shared
        self.cases: dict[str, Case] = {}
        self.versions: dict[str, str] = {}

    @abstractmethod
    def setup(self) -> None:
        """Install, start, seed; fill ``self.cases``. Raise Skip when impossible."""

    def stop(self) -> None:
        if self.server:
            procs.stop(self.server)
            self.server = None


def asgi_server_argv(python: Path, server: str, app: str, port: int) -> list[str]:
    """One worker of granian or uvicorn serving ``app`` (module:attr) on loopback."""
    if server == "granian":
        return [
            str(python), "-m", "granian", "--interface", "asgi", "--host", procs.HOST,
            "--port", str(port), "--workers", "1", "--log-level", "warning", app,
        ]  # fmt: skip
    return [
        str(python), "-m", "uvicorn", "--host", procs.HOST, "--port", str(port),
        # uvicorn as it is deployed: with these two missing it would quietly fall
        # back to pure-Python h11 and asyncio, at several times the CPU a request.
        "--loop", "uvloop", "--http", "httptools",
        "--workers", "1", "--log-level", "warning", "--no-access-log", app,
    ]  # fmt: skip


class Ceiling(Target):
    """Same bytes from memory: what the framework and server cost with zero work.

    And, when Byline ran first in this run, a POST that does Byline's storage
    work and nothing else (bench/storage_floor.py) on a copy of Byline's database.
    """

    app = ""

    def setup(self) -> None:
        byline_python = self.options.byline_bin.parent / "python"
        python = install.ceiling_python(byline_python, self.options.server)
        self.versions = install.versions(
            python, ["litestar", "granian", "uvicorn", "uvloop", "httptools"]
        )
        env = {
            "BENCH_PAGE_FILE": str(self.shared.page_file),
            "BENCH_LIST_FILE": str(self.shared.list_file),
            "PYTHONPATH": str(REPO),
        }
        # Byline's code and a database it seeded: only from Byline's own venv, this run.
        posts = python == byline_python and self.shared.page_source == "byline"
        if posts:
            env["BENCH_POST_DB"] = str(self._copy_of_bylines_database())
        port = procs.free_port()
        self.server = procs.start(
            self.name,
            asgi_server_argv(python, self.options.server, self.app, port),
            port,
            WORK / "logs" / f"{self.name}.log",
            env=env,
            cwd=REPO,
        )
        procs.wait_ready(self.server, "/tiny")
        self.cases = {
            "page": Case("page", "/page", body_bytes=self.shared.page_file.stat().st_size),
            "list": Case("list", "/list", body_bytes=self.shared.list_file.stat().st_size),
            "tiny": Case("tiny", "/tiny"),
        }
        if posts:
            self.cases["post"] = Case(
                "post", "/post", lua="post_comment", expect=frozenset({202}),
                prepare=self._post_args,
            )  # fmt: skip
            self.cases["approve"] = Case(
                "approve", "/v1/moderation/comments", lua="approve", prepare=self._approve_args
            )

    def _copy_of_bylines_database(self) -> Path:
        """A consistent copy of the running Byline's database (SQLite's backup)."""
        copy = WORK / f"{self.name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        source, target = sqlite3.connect(BYLINE_DB), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return copy

    _runs = 0

    def _post_args(self) -> Prepared:
        self._runs += 1
        run_id = f"{self.name}-{self._runs}"
        return Prepared(["/post", str(self.shared.bodies_file), run_id, "byline"])

    def _approve_args(self) -> Prepared:
        ids = _pending_ids(WORK / f"{self.name}.db")
        ids_file = WORK / f"{self.name}-pending.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        return Prepared([str(ids_file), "no-token", "single", "1"], pool=len(ids))


def _pending_ids(db: Path) -> list[str]:
    """The pending comments on the posting article, oldest first (as Byline's queue)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT c.public_id FROM comments c JOIN articles a ON a.id = c.article_id "
            "WHERE a.slug = ? AND c.status = 'pending' AND c.removed = 0 "
            "ORDER BY c.created_at, c.id",
            (dataset.POST_SLUG,),
        ).fetchall()
    return [row[0] for row in rows]


class CeilingLitestar(Ceiling):
    name = "ceiling-litestar"
    app = "bench.ceiling_app:app"


class CeilingAsgi(Ceiling):
    name = "ceiling-asgi"
    app = "bench.asgi_app:app"


def write_post_bodies(path: Path) -> None:
    """The thread's bodies, JSON-escaped, one per line, for the POST Lua script."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(c.body)[1:-1] for c in dataset.thread_comments()]
    path.write_text("\n".join(lines) + "\n")
