"""The POST ceiling: Byline's own write of a new comment, with nothing around it.

The ceilings answer `POST /post` with this: decode the JSON, fill the row with
cheap stand-ins (the body as its own HTML, SHA-256 for the keys), and run
Byline's storage steps for a new comment, through Byline's group-commit writer
with `synchronous=FULL`: the article lookup, the INSERT (its indexes and the
count trigger), the audit row. No validation, Markdown, sanitizing, rules, HMAC
keys or edit token of Byline's own. So it is what a durable comment POST costs
on this server and this database when the handler does nothing else: the part
of Byline's POST that no handler code can remove.

It needs Byline's code (the ceilings run from Byline's venv, with the repo on
`PYTHONPATH`) and a copy of the database Byline seeded in the same run
(`BENCH_POST_DB`); without them the ceilings have no `post` case.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import Any

from service.clock import now_text
from service.comments.posting import new_public_id
from service.storage.articles import get_comment_target
from service.storage.audit import add_audit_entry
from service.storage.comments import NewComment, Placement, insert_comment
from service.storage.database import Database, Transaction

SLUG = "bench-post-target"  # bench.dataset.POST_SLUG: the article that absorbs posts
DB_ENV = "BENCH_POST_DB"

_db: Database | None = None


def enabled() -> bool:
    return bool(os.environ.get(DB_ENV))


async def open_db() -> None:
    global _db
    _db = Database(os.environ[DB_ENV])
    await _db.open()


async def close_db() -> None:
    if _db is not None:
        await _db.close()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def store(data: dict[str, Any]) -> dict[str, Any]:
    """Writes one comment from a decoded POST body; returns a small receipt."""
    assert _db is not None, "open_db first"
    now = now_text()
    name, email, body = str(data["name"]), str(data["email"]), str(data["body"])
    new = NewComment(
        status="pending", name=name, email=email, website=None, body=body,
        body_html=f"<p>{body}</p>", email_key=_sha(email), avatar_key=_sha(email)[:16],
        client_key="bench-client", body_fingerprint=_sha(body), flags="[]",
        edit_token_hash=_sha(secrets.token_urlsafe(32)), edit_expires_at=now, created_at=now,
    )  # fmt: skip

    async def job(tx: Transaction) -> dict[str, Any]:
        article = await get_comment_target(tx, SLUG, now)
        if article is None:
            raise LookupError(f"no article {SLUG!r} in {os.environ[DB_ENV]}")
        place = Placement(
            public_id=new_public_id(), article_id=article.id, parent_id=None,
            parent_public_id=None, thread_id=None, depth=0,
        )  # fmt: skip
        stored = await insert_comment(tx, new, place)
        await add_audit_entry(
            tx, actor="author", comment_id=stored.public_id, action="submit",
            from_status=None, to_status="pending", note=None, at=now,
        )  # fmt: skip
        return {"id": stored.public_id, "status": stored.status, "created_at": stored.created_at}

    return await _db.write(job)
