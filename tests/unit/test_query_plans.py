"""EXPLAIN QUERY PLAN for the hot queries: no full scan of comments or articles.

The SQL is not copied here: each storage function runs against a recording
Queryable that asks SQLite for the plan of every statement it is given (and
then runs it, so the function gets real rows back). A plan row that SCANs
`comments` or `articles` (by name or alias) without an index fails; for
`comments`, the table that grows to millions of rows, a SCAN through an index
fails too (it still visits every row). Some queries must also start from a
given index: a SEARCH on a range that covers the whole table is a scan in
disguise.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Coroutine
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from service.storage import articles, comments, installation, moderation, owner, related
from service.storage.database import Database, Params
from service.storage.visibility import refresh_visibility

NOW = "2026-11-26T12:00:00Z"
BIG_TABLES = {"comments", "articles"}
ALIASES = {"c": "comments", "p": "comments", "a": "articles", "child": "comments"}


class PlanRecorder:
    """A Queryable that records (sql, plan rows) for every statement it runs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.plans: list[tuple[str, list[str]]] = []

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        plan = self.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        # Rows are (id, parent, notused, detail).
        self.plans.append((sql, [str(row[3]) for row in plan]))
        return list(self.conn.execute(sql, params).fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        await self.fetch_all(sql, params)
        return int(self.conn.execute("SELECT changes()").fetchone()[0])


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "byline.db"

    async def migrate() -> None:
        db = Database(str(path))
        await db.open()
        await db.close()

    asyncio.run(migrate())
    return path


Call = Callable[[PlanRecorder], Coroutine[Any, Any, Any]]


def _posting_facts(*, rows: int, duplicate_window: int) -> Call:
    """The facts statement in the shape the switched-on rules ask for."""
    return lambda q: comments.posting_facts(
        q,
        email_key="e",
        client_key="c",
        fingerprint="f",
        now_epoch=1.8e9,
        lookback_seconds=600,
        rate_window=600,
        rows=rows,
        duplicate_window=duplicate_window,
    )


HOT: dict[str, Call] = {
    "thread roots, first page": lambda q: comments.list_roots(
        q, 1, newest_first=False, limit=21, after=None
    ),
    "thread roots, by cursor, newest": lambda q: comments.list_roots(
        q, 1, newest_first=True, limit=21, after=(NOW, 5)
    ),
    "thread replies": lambda q: comments.list_replies(q, [1, 2, 3]),
    "article by slug": lambda q: articles.get_public_article(q, "post", NOW),
    "articles list": lambda q: articles.list_public_articles(
        q, now=NOW, tag=None, limit=21, after=None
    ),
    "articles list by tag, by cursor": lambda q: articles.list_public_articles(
        q, now=NOW, tag="pain", limit=21, after=(NOW, 9)
    ),
    "list cache key": lambda q: articles.public_list_version(q, NOW),
    "posting facts": _posting_facts(rows=6, duplicate_window=3600),
    "posting facts, rate rules only": _posting_facts(rows=1, duplicate_window=0),
    "posting facts, duplicate rule only": _posting_facts(rows=0, duplicate_window=3600),
    "parent of a reply": lambda q: comments.get_parent(q, "abc"),
    "moderation queue": lambda q: moderation.list_queue(
        q, status="pending", article=None, limit=21, after=None
    ),
    "moderation queue of an article, by cursor": lambda q: moderation.list_queue(
        q, status="pending", article="post", limit=21, after=(NOW, 4)
    ),
    "content version": installation.content_version,
}

# Queries whose plan must start from a given index (the first table access).
LEADING_INDEX: dict[str, Call] = {
    # Counts look articles up by slug, never by walking every published one.
    "counts": lambda q: comments.count_shown(q, ["a", "b", "c"], NOW),
    # Related articles start from this article's precomputed list.
    "related list": lambda q: related.list_related(q, 1, 3, NOW),
}
EXPECTED_LEAD = {
    "counts": re.compile(r"SEARCH articles USING (COVERING )?INDEX sqlite_autoindex_articles_1"),
    "related list": re.compile(
        r"SEARCH r USING (PRIMARY KEY|(COVERING )?INDEX \S+) \(article_id=\?"
    ),
}

# Known, measured problems (README "Performance"), kept visible: strict, so the
# marker must go once the query is fixed.
KNOWN_BAD: dict[str, pytest.MarkDecorator] = {}


def plans_of(db_path: Path, call: Call) -> list[tuple[str, list[str]]]:
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        recorder = PlanRecorder(conn)
        asyncio.run(call(recorder))
        assert recorder.plans, "the function ran no statement"
        return recorder.plans


def full_scans(detail: str) -> str | None:
    """The big table a plan row scans, if it does."""
    match = re.match(r"SCAN (\w+)( USING (COVERING )?INDEX \w+)?", detail)
    if not match or match.group(1).startswith("("):
        return None
    table = ALIASES.get(match.group(1), match.group(1))
    if table not in BIG_TABLES:
        return None
    if table == "articles" and match.group(2):
        return None  # articles are few; an ordered walk of an index with a LIMIT is fine
    return table


def assert_no_full_scan(path: Path, name: str, call: Call) -> list[tuple[str, list[str]]]:
    plans = plans_of(path, call)
    for sql, plan in plans:
        scanned = [detail for detail in plan if full_scans(detail)]
        assert not scanned, f"{name}: {scanned} in the plan of\n{sql}"
    return plans


def _params(calls: dict[str, Call]) -> list[Any]:
    return [pytest.param(name, marks=KNOWN_BAD.get(name, ()), id=name) for name in calls]


@pytest.mark.parametrize("name", _params(HOT))
def test_no_full_scan(db_path: Path, name: str) -> None:
    assert_no_full_scan(db_path, name, HOT[name])


# Paged by a cursor: the index must give the order, or every page sorts all
# matching rows (100,000 pending comments in the scale bench) to return 21.
PAGED = [
    "thread roots, first page",
    "thread roots, by cursor, newest",
    "moderation queue",
    "moderation queue of an article, by cursor",
]


@pytest.mark.parametrize("name", PAGED)
def test_pages_come_in_index_order(db_path: Path, name: str) -> None:
    for sql, plan in plans_of(db_path, HOT[name]):
        sorts = [detail for detail in plan if "TEMP B-TREE" in detail]
        assert not sorts, f"{name} sorts: {sorts} in the plan of\n{sql}"


def _queue_stats(q: PlanRecorder) -> Coroutine[Any, Any, Any]:
    return moderation.queue_stats(q, stale_before=NOW)


@pytest.mark.parametrize("name", _params({"moderation queue stats": _queue_stats}))
def test_moderation_queue_stats_do_not_scan(db_path: Path, name: str) -> None:
    assert_no_full_scan(db_path, name, _queue_stats)


@pytest.mark.parametrize("name", _params(LEADING_INDEX))
def test_starts_from_the_right_index(db_path: Path, name: str) -> None:
    for sql, plan in assert_no_full_scan(db_path, name, LEADING_INDEX[name]):
        first = next(d for d in plan if d.startswith(("SEARCH", "SCAN")))
        assert EXPECTED_LEAD[name].match(first), f"{name} starts with {first!r}:\n{sql}"


def test_the_checker_sees_a_scan(db_path: Path) -> None:
    """The checker itself: an unindexed filter on comments is caught."""

    async def unindexed(q: PlanRecorder) -> Any:
        return await q.fetch_all("SELECT id FROM comments c WHERE c.name = 'x'")

    (_, plan), *_ = plans_of(db_path, unindexed)
    assert any(full_scans(detail) == "comments" for detail in plan), plan


@pytest.fixture(scope="module")
def analyzed_db_path(tmp_path_factory: pytest.TempPathFactory, db_path: Path) -> Path:
    """The schema with statistics as `PRAGMA optimize` leaves them on a young site:
    500 articles and 20,000 comments, none of them a reply yet (a reply comes after)."""
    path = tmp_path_factory.mktemp("analyzed") / "byline.db"
    with closing(sqlite3.connect(db_path)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)
        target.executescript(
            f"""
            INSERT INTO authors (id, slug, name, created_at, updated_at)
                VALUES (1, 'a', 'A', '{NOW}', '{NOW}');
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
            INSERT INTO articles (id, slug, title, body_markdown, body_html, excerpt,
                author_id, status, published_at, created_at, updated_at)
            SELECT i, CASE i WHEN 1 THEN 'post' ELSE 'post-' || i END, 'T', '', '', '', 1,
                'published', '{NOW}', '{NOW}', '{NOW}'
            FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
            INSERT INTO comments (id, public_id, article_id, parent_id, thread_id, depth,
                status, visibility, client_key, created_at)
            SELECT i, printf('c%015d', i), 1, NULL, i, 0, 'approved', 'shown', 'k', '{NOW}'
            FROM n;
            ANALYZE;
            INSERT INTO comments (id, public_id, article_id, parent_id, thread_id, depth,
                status, visibility, client_key, created_at)
            VALUES (20001, 'reply', 1, 1, 1, 1, 'approved', 'shown', 'k', '{NOW}');
            """
        )
    return path


# Statements run under the write lock on every decision and erasure: a scan
# there holds every other write for as long as the table is big.
WRITE_PATH: dict[str, Call] = {
    "visibility walk after a decision": lambda q: refresh_visibility(q, 20001, 1),  # type: ignore[arg-type]
    "visibility of a top-level comment": lambda q: refresh_visibility(q, 5, 1),  # type: ignore[arg-type]
    "a decision's conditional update": lambda q: moderation.transition(
        q,  # type: ignore[arg-type]
        5,
        from_status="approved",
        to_status="rejected",
        version=1,
        now=NOW,
    ),
    "erasing a comment": lambda q: owner.erase_comment(q, 7, 1),  # type: ignore[arg-type]
    "spam past its retention": lambda q: moderation.spam_older_than(q, NOW),  # type: ignore[arg-type]
    "a privacy request's comments": lambda q: moderation.list_by_email_key(q, "e"),
}


@pytest.mark.parametrize("name", _params(WRITE_PATH))
def test_write_path_does_not_scan_with_real_statistics(analyzed_db_path: Path, name: str) -> None:
    assert_no_full_scan(analyzed_db_path, name, WRITE_PATH[name])


@pytest.mark.parametrize("name", _params(HOT))
def test_hot_reads_do_not_scan_with_real_statistics(analyzed_db_path: Path, name: str) -> None:
    assert_no_full_scan(analyzed_db_path, name, HOT[name])


class _NoReads:
    """A Queryable that fails the test if anything is read through it."""

    async def fetch_one(self, sql: str, params: Any = ()) -> Any:
        raise AssertionError(f"read with every rule off: {sql}")

    async def fetch_all(self, sql: str, params: Any = ()) -> Any:
        raise AssertionError(f"read with every rule off: {sql}")


def test_with_every_flood_and_duplicate_rule_off_no_facts_are_read() -> None:
    read = _posting_facts(rows=0, duplicate_window=0)
    facts = asyncio.run(read(_NoReads()))  # type: ignore[arg-type]
    assert facts.recent_count_by_email == facts.recent_count_by_client == 0
    assert facts.seconds_since_last_by_email is None
    assert facts.seconds_since_last_by_client is None
    assert not facts.duplicate
