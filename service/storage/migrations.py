"""Numbered `.sql` migrations tracked by `PRAGMA user_version`.

All pending migrations run inside one `BEGIN IMMEDIATE` transaction, statement by
statement (never `executescript`, which commits first), so a crash part-way
leaves the schema wholly old or wholly new, and concurrent workers serialise.
"""

from __future__ import annotations

from importlib import resources

import aiosqlite

STATEMENT_SEPARATOR = "\n-- ;\n"


def load_migrations() -> list[tuple[int, list[str]]]:
    """(number, statements) for every migrations/NNNN_name.sql, in order."""
    folder = resources.files("service.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            text = entry.read_text(encoding="utf-8")
            statements = [s.strip() for s in text.split(STATEMENT_SEPARATOR) if _has_sql(s)]
            found.append((number, statements))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {numbers}")
    return found


def _has_sql(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())


def latest_version() -> int:
    return len(load_migrations())


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Byline: this one must not touch it."""


async def migrate(conn: aiosqlite.Connection) -> int:
    """Bring the schema up to date; returns the number of migrations applied."""
    migrations = load_migrations()
    await conn.execute("BEGIN IMMEDIATE")
    try:
        rows = await conn.execute_fetchall("PRAGMA user_version")
        current = int(next(iter(rows))[0])
        if current > len(migrations):
            raise SchemaTooNew(
                f"database schema version {current} is newer than this Byline "
                f"({len(migrations)}); upgrade Byline"
            )
        for number, statements in migrations[current:]:
            for statement in statements:
                await conn.execute(statement)
            # PRAGMA takes no bound parameters; number is an int from our own file names.
            await conn.execute(f"PRAGMA user_version = {int(number)}")
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    return len(migrations) - current
