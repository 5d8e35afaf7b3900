"""The `byline` command, run through `service.cli.main` against the test's database.

The app is running (the `client` fixture) while the command works on the same
file, as an operator would do it: what the command changes is served at once.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from service.cli import main
from service.storage.database import Database
from tests.helpers import MakeAuthor, assert_problem, bearer

AUTHOR = "---\nname: Maya Okafor\nwebsite: https://example.com/maya\n---\nPhysio.\n"


def article(title: str, author: str = "maya", extra: str = "") -> str:
    return f"---\ntitle: {title}\nauthor: {author}\ntags: [knee]\n{extra}---\nAbout *{title}*.\n"


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def byline(*args: str) -> int:
    """main() runs its own event loop, so it gets a thread of its own."""
    return await asyncio.to_thread(main, list(args))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    write(root, "authors/maya.md", AUTHOR)
    write(root, "knee-pain.md", article("Knee pain", extra="date: 2026-01-02\n"))
    write(
        root, "back/low-back.md", article("Low back", extra="published_at: 2026-01-03T00:00:00Z\n")
    )
    write(root, "draft.md", article("Draft", extra="status: draft\n"))
    return root


async def public_slugs(client: httpx.AsyncClient) -> list[str]:
    return [item["slug"] for item in (await client.get("/v1/articles")).json()["items"]]


# --- import ---------------------------------------------------------------------------


async def test_import_stores_articles_and_authors(
    client: httpx.AsyncClient,
    database_path: str,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await public_slugs(client) == []

    assert await byline("import", str(folder), "--database", database_path) == 0

    assert capsys.readouterr().out == "imported 1 authors and 3 articles\n"
    assert await public_slugs(client) == ["low-back", "knee-pain"]
    page = (await client.get("/v1/articles/knee-pain")).json()
    assert page["title"] == "Knee pain"
    assert page["published_at"] == "2026-01-02T00:00:00Z"
    assert page["body_html"] == "<p>About <em>Knee pain</em>.</p>"
    assert page["author"]["name"] == "Maya Okafor"
    assert page["author"]["bio"] == "Physio."
    assert_problem(await client.get("/v1/articles/draft"), 404)


async def test_reimporting_updates_instead_of_duplicating(
    client: httpx.AsyncClient, database_path: str, folder: Path, editor: dict[str, str]
) -> None:
    assert await byline("import", str(folder), "--database", database_path) == 0
    first = (await client.get("/v1/admin/articles/knee-pain", headers=editor)).json()

    write(folder, "knee-pain.md", article("Knee pain, revised", extra="date: 2026-01-02\n"))
    write(folder, "authors/maya.md", AUTHOR.replace("Maya Okafor", "Maya O."))
    assert await byline("import", str(folder), "--database", database_path) == 0

    assert await public_slugs(client) == ["low-back", "knee-pain"]
    again = (await client.get("/v1/admin/articles/knee-pain", headers=editor)).json()
    assert again["title"] == "Knee pain, revised"
    assert again["created_at"] == first["created_at"]
    page = (await client.get("/v1/articles/knee-pain")).json()
    assert page["author"]["name"] == "Maya O."


@pytest.mark.parametrize(
    ("name", "text", "where", "problem"),
    [
        (
            "broken.md",
            "---\ntitle: Broken\ntags: [a, b\nauthor: maya\n---\nB\n",
            "broken.md:4:",
            "front matter is not valid YAML",
        ),
        ("untitled.md", "---\nauthor: maya\n---\nB\n", "untitled.md:1:", "title is required"),
        (
            "orphan.md",
            "---\ntitle: Orphan\ntags: [x]\nauthor: nobody\n---\nB\n",
            "orphan.md:4:",
            "author names no known author",
        ),
    ],
)
async def test_a_bad_file_fails_the_whole_import(
    client: httpx.AsyncClient,
    database_path: str,
    folder: Path,
    editor: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    where: str,
    problem: str,
) -> None:
    write(folder, name, text)

    assert await byline("import", str(folder), "--database", database_path) == 1

    err = capsys.readouterr().err
    assert err.startswith("byline: import failed: ")
    assert f"{folder / where}" in err
    assert problem in err
    # Nothing of that run is stored: neither the good files nor the author.
    assert await public_slugs(client) == []
    assert_problem(await client.get("/v1/admin/authors/maya", headers=editor), 404)
    assert_problem(await client.get("/v1/admin/articles/draft", headers=editor), 404)


async def test_a_failed_reimport_leaves_the_previous_import_alone(
    client: httpx.AsyncClient, database_path: str, folder: Path
) -> None:
    assert await byline("import", str(folder), "--database", database_path) == 0
    write(folder, "knee-pain.md", article("Changed"))
    write(folder, "orphan.md", article("Orphan", author="nobody"))

    assert await byline("import", str(folder), "--database", database_path) == 1

    assert (await client.get("/v1/articles/knee-pain")).json()["title"] == "Knee pain"


async def test_importing_a_missing_folder_fails(
    database_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await byline("import", str(tmp_path / "nope"), "--database", database_path) == 1
    assert "not a folder" in capsys.readouterr().err


async def test_the_demo_content_imports_cleanly(
    client: httpx.AsyncClient, database_path: str
) -> None:
    from service.demo import demo_folder

    assert await byline("import", demo_folder(), "--database", database_path) == 0
    response = await client.get("/v1/articles?limit=100")
    assert len(response.json()["items"]) >= 12


# --- tokens ---------------------------------------------------------------------------


async def test_tokens_create_prints_the_token_alone_on_the_last_line(
    client: httpx.AsyncClient, database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await byline(
        "tokens", "create", "--name", "alice", "--role", "editor", "--database", database_path
    )

    out = capsys.readouterr().out
    assert code == 0
    token = out.splitlines()[-1]
    assert token.startswith("byl_") and token == token.strip() and " " not in token
    assert len(token) >= len("byl_") + 32  # at least 128 bits, base64
    response = await client.put(
        "/v1/admin/authors/alice", json={"name": "Alice"}, headers=bearer(token)
    )
    assert response.status_code == 201


async def test_tokens_list_never_prints_tokens(
    database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = []
    for name, role in [("alice", "editor"), ("bob", "moderator")]:
        await byline(
            "tokens", "create", "--name", name, "--role", role, "--database", database_path
        )
        tokens.append(capsys.readouterr().out.splitlines()[-1])
    await byline("tokens", "revoke", "bob", "--database", database_path)
    capsys.readouterr()

    assert await byline("tokens", "list", "--database", database_path) == 0

    out = capsys.readouterr().out
    rows = [line.split("\t") for line in out.splitlines()]
    assert [(row[0], row[1]) for row in rows] == [("alice", "editor"), ("bob", "moderator")]
    assert rows[0][3] == "live" and rows[1][3].startswith("revoked ")
    for token in tokens:
        assert token not in out
        assert token[4:20] not in out
    assert "byl_" not in out


async def test_a_revoked_token_is_401(
    client: httpx.AsyncClient, database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await byline(
        "tokens", "create", "--name", "alice", "--role", "admin", "--database", database_path
    )
    token = capsys.readouterr().out.splitlines()[-1]
    path = "/v1/admin/authors/ada"
    assert (await client.get(path, headers=bearer(token))).status_code == 404  # allowed in

    assert await byline("tokens", "revoke", "alice", "--database", database_path) == 0

    assert capsys.readouterr().out == "revoked token 'alice'\n"
    assert_problem(await client.get(path, headers=bearer(token)), 401)


async def test_token_commands_refuse_what_cannot_be_done(
    database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await byline("migrate", "--database", database_path) == 0
    capsys.readouterr()
    assert await byline("tokens", "revoke", "ghost", "--database", database_path) == 1
    assert capsys.readouterr().err == "byline: no live token named 'ghost'\n"

    args = ("tokens", "create", "--name", "alice", "--role", "editor", "--database", database_path)
    assert await byline(*args) == 0
    capsys.readouterr()
    assert await byline(*args) == 1
    assert "revoke it first" in capsys.readouterr().err

    assert await byline("tokens", "revoke", "alice", "--database", database_path) == 0
    assert await byline(*args) == 0  # the name is free again


def test_an_unknown_role_is_refused(database_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["tokens", "create", "--name", "x", "--role", "root", "--database", database_path])
    assert caught.value.code == 2
    assert "invalid choice: 'root'" in capsys.readouterr().err


# --- configuration --------------------------------------------------------------------


def test_every_configuration_problem_is_reported(
    monkeypatch: pytest.MonkeyPatch, database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BYLINE_WORKERS", "none")
    monkeypatch.setenv("BYLINE_LOG_LEVEL", "LOUD")

    assert main(["serve", "--port", "0", "--database", database_path]) == 2

    assert capsys.readouterr().err.splitlines() == [
        "byline: configuration: BYLINE_WORKERS: expected a whole number",
        "byline: configuration: BYLINE_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR",
        "byline: configuration: port: 0 is not between 1 and 65535",
    ]
    assert not Path(database_path).exists()


def test_migrate_creates_the_database(
    database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--database", database_path]) == 0
    assert Path(database_path).exists()
    assert capsys.readouterr().out == f"database {database_path} is up to date\n"


def test_database_may_come_before_or_after_the_token_command(
    database_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["tokens", "--database", database_path, "create", "--name", "a", "--role", "admin"])
        == 0
    )
    assert main(["tokens", "list", "--database", database_path]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("a\tadmin\t")


def _newer_than_this_byline(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 999")


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        pytest.param(lambda path: None, "unable to open database file", id="missing-folder"),
        pytest.param(
            lambda path: (path.parent.mkdir(), path.write_text("not sqlite")),
            "file is not a database",
            id="not-a-database",
        ),
        pytest.param(
            lambda path: (path.parent.mkdir(), _newer_than_this_byline(path)),
            "is newer than this Byline",
            id="newer-schema",
        ),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_1(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    prepare: Callable[[Path], object],
    reason: str,
) -> None:
    path = tmp_path / "folder" / "byline.db"
    prepare(path)

    def must_not_serve(settings: object) -> int:
        raise AssertionError("served without a database")

    monkeypatch.setattr("service.server.serve", must_not_serve)
    for command in (["migrate"], ["serve"], ["tokens", "create", "--name", "n", "--role", "admin"]):
        assert main([*command, "--database", str(path)]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        (line,) = err.splitlines()  # one line, no traceback
        assert line.startswith(f"byline: cannot open the database {path}: ")
        assert reason in line


@pytest.mark.parametrize(
    "command",
    [["tokens", "list"], ["tokens", "revoke", "someone"], ["related", "rebuild"]],
)
def test_commands_on_what_is_there_refuse_a_missing_database_and_create_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing, empty = tmp_path / "mistyped.db", tmp_path / "empty.db"
    empty.touch()
    for path in (missing, empty):
        assert main([*command, "--database", str(path)]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == f"byline: no database at {path} (`byline migrate` creates one)\n"
    assert [p.name for p in tmp_path.iterdir()] == ["empty.db"]
    assert empty.stat().st_size == 0


async def test_a_failed_open_leaves_no_connection_thread_behind(tmp_path: Path) -> None:
    def connection_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}

    before = connection_threads()
    db = Database(str(tmp_path / "missing" / "byline.db"))
    with pytest.raises(sqlite3.OperationalError):
        await db.open()
    # Only new threads count: one left by an earlier test may end meanwhile.
    assert connection_threads() - before == set()


async def test_the_largest_allowed_times_serve_every_request_that_uses_them(
    tmp_path: Path,
) -> None:
    from tests.api.comment_fixtures import open_site

    longest = {
        "edit_window_seconds": 315_360_000,
        "post_rate_window_seconds": 315_360_000,
        "post_min_interval_seconds": 315_360_000,
        "duplicate_window_seconds": 315_360_000,
        "spam_retention_days": 36_500,
        "stale_pending_days": 36_500,
        "public_max_age": 31_536_000,
    }
    async with open_site(tmp_path, **longest) as site:
        admin = {"Authorization": f"Bearer {site.admin_token}"}
        assert (await site.client.post(
            "/v1/articles/post/comments",
            json={"name": "Ada", "email": "ada@example.org", "body": "Far future."},
        )).status_code == 202  # fmt: skip
        for method, path in (
            ("GET", "/v1/moderation/comments"),
            ("POST", "/v1/moderation/housekeeping/purge-spam"),
            ("GET", "/metrics"),
            ("GET", "/v1/articles/post/comments"),
        ):
            answer = await site.client.request(method, path, headers=admin)
            assert answer.status_code == 200, (path, answer.text)


@pytest.mark.parametrize(
    "name", ["", "   ", "bad\nname", "tab\tname", "-leading", "x" * 65, "naïve", "a b"]
)
def test_a_token_name_that_would_garble_the_list_is_refused(
    database_path: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    create = ["tokens", "create", "--role", "admin", "--database", database_path, f"--name={name}"]
    assert main(create) == 1
    out, err = capsys.readouterr()
    assert "token" not in out  # nothing was created, so nothing is shown
    assert err.startswith("byline: a token name is 1-64 letters") and err.count("\n") == 1
    assert main(["tokens", "list", "--database", database_path]) == 0
    assert capsys.readouterr().out == ""


def test_token_names_may_use_the_usual_characters(database_path: str) -> None:
    for name in ("ops", "ci-bot_2", "ada@example.org", "A" * 64):
        create = ["tokens", "create", "--role", "moderator", "--database", database_path]
        assert main([*create, "--name", name]) == 0


def test_serve_refuses_a_port_another_server_listens_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    def must_not_serve(settings: object) -> int:
        raise AssertionError("a second server started on a port in use")

    monkeypatch.setattr("service.server.serve", must_not_serve)
    database = tmp_path / "second.db"
    with socket.socket() as other:
        # As granian listens: SO_REUSEPORT would let a second granian share the port.
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        assert main(["serve", "--port", str(port), "--database", str(database)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"byline: cannot listen on 127.0.0.1 port {port}: Address already in use"
    assert not database.exists()  # refused before anything was created


def test_serve_empties_the_metrics_folder_or_refuses_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    monkeypatch.setattr("service.server.serve", lambda settings: started.append(settings) or 0)
    database = str(tmp_path / "byline.db")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    assert main(["serve", "--port", "18399", "--database", database]) == 1
    assert "PROMETHEUS_MULTIPROC_DIR" in capsys.readouterr().err and not started

    folder = tmp_path / "metrics"
    folder.mkdir()
    for name in ("counter_12.db", "histogram_12.db", "gauge_all_7.db", "notes.txt"):
        (folder / name).write_text("from the last run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    assert main(["serve", "--port", "18399", "--database", database]) == 0
    assert len(started) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_worker_that_will_not_stop_is_killed_in_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import granian

    from service.config import Settings
    from service.server import WORKER_KILL_TIMEOUT_SECONDS, serve

    made: dict[str, object] = {}

    class Recorded:
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.update(kwargs)

        def serve(self) -> None:
            pass

    monkeypatch.setattr(granian, "Granian", Recorded)
    assert serve(Settings()) == 0
    # A stop signal can reach a starting worker and be lost; without a kill
    # timeout granian would wait for that worker for ever.
    assert made["workers_kill_timeout"] == WORKER_KILL_TIMEOUT_SECONDS
    assert 0 < WORKER_KILL_TIMEOUT_SECONDS <= 30


def test_a_reader_that_stops_early_is_no_traceback(database_path: str) -> None:
    import subprocess
    import sys

    assert (
        main(["tokens", "create", "--name", "a", "--role", "admin", "--database", database_path])
        == 0
    )
    command = [sys.executable, "-m", "service", "tokens", "list", "--database", database_path]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # as `| head` does, before the list is printed
        err = child.stderr.read().decode()
        status = child.wait(timeout=60)
    assert status == 1
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_an_in_memory_database_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--database", ":memory:"]) == 2
    assert "database: must be the path of a file" in capsys.readouterr().err


async def test_the_demo_is_loaded_only_into_a_database_with_nothing_in_it(
    client: httpx.AsyncClient, database_path: str, make_author: MakeAuthor
) -> None:
    from service.demo import load_demo

    await make_author("maya-okafor", name="Someone Else")
    db = Database(database_path)
    await db.open()
    try:
        await load_demo(db)
    finally:
        await db.close()
    with closing(sqlite3.connect(database_path)) as conn:
        names = conn.execute("SELECT slug, name FROM authors").fetchall()
    assert names == [("maya-okafor", "Someone Else")]
    assert (await client.get("/v1/articles")).json()["items"] == []
