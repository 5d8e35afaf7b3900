"""Authors: the people behind articles. Use cases over storage.authors."""

from __future__ import annotations

from typing import Any

from service import fields
from service.clock import now_text
from service.content.rendering import render_bio
from service.errors import Conflict, NotFound
from service.storage import authors as store
from service.storage.database import Database, Queryable, Transaction
from service.storage.installation import bump_content_version
from service.validation import Spec, optional_string, string, then

AUTHOR_SPEC = Spec(
    rules={
        "name": then(string, lambda v: fields.clean_line(v, max_length=120)),
        "bio": then(string, lambda v: fields.clean_text(v, max_length=5000, min_length=0)),
        "avatar_url": then(optional_string, fields.clean_optional_url),
        "website": then(optional_string, fields.clean_optional_url),
    },
    required=frozenset({"name"}),
    defaults={"bio": "", "avatar_url": None, "website": None},
)


async def save_author_in(
    tx: Transaction, slug: str, data: dict[str, Any]
) -> tuple[store.AuthorRow, bool]:
    author, created = await store.upsert_author(
        tx,
        slug=slug,
        name=data["name"],
        bio=data["bio"],
        bio_html=render_bio(data["bio"]) if data["bio"] else "",
        avatar_url=data["avatar_url"],
        website=data["website"],
        now=now_text(),
    )
    # An author's name shows in article lists, so every listing may change.
    await bump_content_version(tx)
    return author, created


async def save_author(
    db: Database, slug: str, data: dict[str, Any]
) -> tuple[store.AuthorRow, bool]:
    return await db.write(lambda tx: save_author_in(tx, slug, data))


async def get_author(q: Queryable, slug: str) -> store.AuthorRow:
    author = await store.get_author(q, slug)
    if author is None:
        raise NotFound("no such author")
    return author


async def delete_author(db: Database, slug: str) -> None:
    async def delete(tx: Transaction) -> None:
        author = await get_author(tx, slug)
        if await store.count_articles_by(tx, author.id):
            raise Conflict("the author still has articles; delete or reassign them first")
        await store.delete_author(tx, author.id)
        await bump_content_version(tx)

    await db.write(delete)
