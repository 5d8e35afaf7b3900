"""Demo content for `byline serve --demo`: loaded only into an empty database."""

from __future__ import annotations

from importlib import resources

from service.content.importer import import_folder
from service.storage.database import Database


def demo_folder() -> str:
    return str(resources.files("service.demo") / "content")


async def load_demo(db: Database) -> int:
    # Authors count too: the demo's authors would overwrite an operator's of the same slug.
    row = await db.fetch_one(
        "SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM authors) AS n"
    )
    if row is not None and row["n"] == 0:
        await import_folder(db, demo_folder())
    return 0
