"""The write ceilings: Byline's own storage work, with nothing around it.

The ceilings (bench/ceiling_app.py, bench/asgi_app.py) answer two writes with it,
through Byline's group-commit writer with `synchronous=FULL`:

- `POST /post`: decode the JSON, fill the row with cheap stand-ins (the body as
  its own HTML, SHA-256 for the keys), then Byline's storage steps for a new
  comment: the article lookup, the INSERT (its indexes and the count trigger),
  the audit row. No validation, Markdown, sanitizing, rules, keyed hashes or
  edit token of Byline's own.
- `POST /v1/moderation/comments/{id}/{approve|reject|spam}`: Byline's
  `moderate` (the read, the conditional update, the visibility and counts, the
  audit row). No body, and no token check: Byline's decision also reads the
  token inside its write, one indexed read more.

So they are what a durable comment POST and a decision cost on this server and
this database when the handler does nothing else, a little less than the part
of Byline's work that no handler code can remove: with the bench's rules
switched off Byline's post runs the same statements, and its decision one
more; and a ceiling that answers faster fills bigger batches, so each write
carries a smaller share of a commit.

They need Byline's code (the ceilings run from Byline's venv, with the repo on
`PYTHONPATH`) and a copy of the database Byline seeded in the same run
(`BENCH_POST_DB`); without them the ceilings have neither case.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import Any

from moderation.states import Action
from service.clock import now_text
from service.comments.moderating import moderate
from service.comments.posting import new_public_id
from service.storage.articles import get_comment_target
from service.storage.audit import add_audit_entry
from service.storage.comments import NewComment, Placement, insert_comment
from service.storage.database import Database, Transaction

SLUG = "bench-post-target"  # bench.dataset.POST_SLUG: the article that absorbs posts
DB_ENV = "BENCH_POST_DB"
DECISIONS = "/v1/moderation/comments/"  # the path bench/lua/approve.lua asks for

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


def decision_of(path: str) -> tuple[str, Action] | None:
    """The comment id and action of a decision's path, if that is what it is."""
    if not path.startswith(DECISIONS):
        return None
    comment_id, _, verb = path[len(DECISIONS) :].partition("/")
    try:
        return comment_id, Action(verb)
    except ValueError:
        return None


async def decide(comment_id: str, action: Action) -> dict[str, Any]:
    """One decision on one comment, as Byline writes it; returns the new status."""
    assert _db is not None, "open_db first"
    row = await moderate(_db, comment_id, action, actor="bench", note=None, version=None)
    return {"id": row.public_id, "status": row.status, "version": row.version}
