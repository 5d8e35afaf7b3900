"""The `byline` command: serve, migrate, import, tokens, related."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from service.config import Settings, SettingsError, load_settings

DATABASE_HELP = "SQLite file (BYLINE_DATABASE, default ./byline.db)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="byline", description="Byline content and comments.")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--database", help=DATABASE_HELP)
        return sub

    serve = command("serve", "start the HTTP server")
    serve.add_argument("--host", help="BYLINE_HOST, default 127.0.0.1")
    serve.add_argument("--port", type=int, help="BYLINE_PORT, default 8000")
    serve.add_argument("--workers", type=int, help="BYLINE_WORKERS, default 1")
    serve.add_argument("--demo", action="store_true", default=None, help="load demo content")
    command("migrate", "create or upgrade the database schema")
    importer = command("import", "import a folder of Markdown articles and authors")
    importer.add_argument("path")
    tokens = command("tokens", "manage API tokens")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True)
    create = token_commands.add_parser("create", help="create a token (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["moderator", "editor", "admin"])
    listing = token_commands.add_parser("list", help="list tokens (never the tokens themselves)")
    revoke = token_commands.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    # `byline tokens create ... --database PATH` must work too; SUPPRESS keeps a
    # value given before the subcommand from being reset to None.
    for sub in (create, listing, revoke):
        sub.add_argument("--database", default=argparse.SUPPRESS, help=DATABASE_HELP)
    related = command("related", "related-article lists")
    related.add_argument("action", choices=["rebuild"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        key: getattr(args, key, None) for key in ("database", "host", "port", "workers", "demo")
    }
    try:
        settings = load_settings(os.environ, overrides)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"byline: configuration: {problem}", file=sys.stderr)
        return 2
    handlers: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
        "serve": _serve,
        "migrate": _migrate,
        "import": _import,
        "tokens": _tokens,
        "related": _related,
    }
    if args.command == "serve":
        return handlers[args.command](settings, args)
    try:
        status = handlers[args.command](settings, args)
        sys.stdout.flush()  # here, not at exit, where a closed pipe is a traceback
        return status
    except BrokenPipeError:
        # Whoever read the output stopped (`byline tokens list | head`): nothing is
        # wrong here. Point stdout at nothing, so the exit's flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(
    settings: Settings, work: Callable[[Any], Awaitable[int]], *, only_existing: bool = False
) -> int:
    """Open the database (migrating it), run `work(db)`, always close.

    1, with one line on stderr, if the database cannot be opened or the work is
    refused. With `only_existing`, a missing file is refused rather than created:
    for commands that only read or change what is there, a mistyped path would
    otherwise leave an empty database behind and answer as if all were well.
    """
    import sqlite3

    from service.errors import BylineError
    from service.storage.database import Database
    from service.storage.migrations import SchemaTooNew

    if only_existing and _no_database_at(settings.database):
        print(
            f"byline: no database at {settings.database} (`byline migrate` creates one)",
            file=sys.stderr,
        )
        return 1

    async def runner() -> int:
        db = Database(settings.database)
        try:
            await db.open()
        except (sqlite3.Error, SchemaTooNew) as exc:  # no folder, no permission, not ours
            print(f"byline: cannot open the database {settings.database}: {exc}", file=sys.stderr)
            return 1
        try:
            return await work(db)
        except BylineError as exc:
            print(f"byline: {exc.detail}", file=sys.stderr)
            return 1
        finally:
            await db.close()

    return asyncio.run(runner())


def _no_database_at(path: str) -> bool:
    """Nothing there, or an empty file (which SQLite would make a database of)."""
    try:
        return os.stat(path).st_size == 0
    except FileNotFoundError:
        return True
    except OSError:  # no permission, a bad path: opening it says why
        return False


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from service.server import preflight, serve

    problem = preflight(settings)
    if problem is not None:
        print(f"byline: {problem}", file=sys.stderr)
        return 1
    if settings.demo:
        from service.demo import load_demo

        if _run(settings, load_demo) != 0:
            return 1
    elif _run(settings, _noop) != 0:  # migrated here once, not by each worker at once
        return 1
    return serve(settings)


async def _noop(db: Any) -> int:
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    if _run(settings, _noop) != 0:
        return 1
    print(f"database {settings.database} is up to date")
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from service.content.importer import ImportFailed, import_folder

    async def work(db: Any) -> int:
        try:
            report = await import_folder(db, args.path)
        except ImportFailed as exc:
            print(f"byline: import failed: {exc}", file=sys.stderr)
            return 1
        print(f"imported {report.authors} authors and {report.articles} articles")
        return 0

    return _run(settings, work)


def _tokens(settings: Settings, args: argparse.Namespace) -> int:
    from service import auth

    async def work(db: Any) -> int:
        if args.tokens_command == "create":
            token = await auth.create_token(db, args.name, auth.Role(args.role))
            print(f"created token {args.name!r} with role {args.role}; it is shown only once:")
            print(token)
        elif args.tokens_command == "list":
            for row in await auth.list_tokens(db):
                state = f"revoked {row.revoked_at}" if row.revoked_at else "live"
                print(f"{row.name}\t{row.role}\tcreated {row.created_at}\t{state}")
        else:
            await auth.revoke_token(db, args.name)
            print(f"revoked token {args.name!r}")
        return 0

    return _run(settings, work, only_existing=args.tokens_command != "create")


def _related(settings: Settings, args: argparse.Namespace) -> int:
    from service.content.related import rebuild_command

    return _run(settings, rebuild_command, only_existing=True)


if __name__ == "__main__":
    raise SystemExit(main())
