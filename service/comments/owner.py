"""The commenter's own comment, with the edit token: read, edit, delete.

A wrong or expired token reads as "no such comment" (404) for GET and as 403 for
changes. An edit re-renders, re-runs the content rules and sends the comment
back to the queue; an approved comment leaves the public thread until approved
again. Spam stays spam, so an edit cannot launder it.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from moderation.rules import HONEYPOT, Submission, judge_content
from moderation.states import Status
from service.clock import now_text
from service.comments.fields import COMMENT_EDIT, is_public_id
from service.comments.posting import rule_settings, shown_text
from service.config import Settings
from service.content.rendering import render_comment
from service.errors import Forbidden, NotFound, Unauthorized
from service.keys import Keys
from service.storage import owner as store
from service.storage.audit import add_audit_entry
from service.storage.database import Database, Queryable, Transaction
from service.storage.visibility import refresh_visibility
from service.validation import collect


def _token_fits(keys: Keys, row: store.OwnCommentRow, token: str) -> bool:
    if row.edit_token_hash is None or row.edit_expires_at is None:
        return False
    if row.edit_expires_at <= now_text():
        return False
    return hmac.compare_digest(row.edit_token_hash, keys.fingerprint(token))


async def _find(
    q: Queryable, keys: Keys, public_id: str, token: str | None
) -> store.OwnCommentRow | None:
    if not token:
        raise Unauthorized("the X-Edit-Token header is required")
    if not is_public_id(public_id):
        return None
    row = await store.get_own_comment(q, public_id)
    if row is None or row.removed or not _token_fits(keys, row, token):
        return None
    return row


async def read_own(
    db: Database, keys: Keys, public_id: str, token: str | None
) -> store.OwnCommentRow:
    row = await _find(db, keys, public_id, token)
    if row is None:
        raise NotFound("no such comment")
    return row


async def edit_own(
    db: Database, keys: Keys, settings: Settings, public_id: str, token: str | None,
    raw: dict[str, Any],
) -> store.OwnCommentRow:  # fmt: skip
    changes = collect(raw, COMMENT_EDIT)

    async def edit(tx: Transaction) -> store.OwnCommentRow | None:
        row = await _find(tx, keys, public_id, token)
        if row is None:
            raise Forbidden("the edit token does not fit this comment, or its window has closed")
        name = changes.get("name", row.name or "")
        website = changes.get("website", row.website)
        body = changes.get("body", row.body or "")
        body_html = render_comment(body)
        email, stored_flags = await store.get_rule_inputs_kept(tx, row.id)
        rules = rule_settings(settings)
        verdict = judge_content(
            Submission(
                name=name, email=email, website=website, body=body, trap=None,
                body_html=body_html, body_text=shown_text(body, body_html, rules),
            ),
            rules,
        )  # fmt: skip
        # The trap was read when the comment was posted and is not stored: its
        # flag stays, as the spam status does. Every other flag is judged afresh.
        flags = [flag for flag in stored_flags if flag.get("rule") == HONEYPOT]
        flags += [{"rule": f.rule, "detail": f.detail} for f in verdict.flags]
        status = Status.SPAM if Status.SPAM in (verdict.status, row.status) else Status.PENDING
        await store.update_own_comment(
            tx, row.id, name=name, website=website, body=body, body_html=body_html,
            status=status.value, flags=json.dumps(flags), now=now_text(),
        )  # fmt: skip
        await refresh_visibility(tx, row.id, row.article_id)
        await add_audit_entry(
            tx, actor="author", comment_id=public_id, action="edit",
            from_status=row.status, to_status=status.value, note=None,
        )  # fmt: skip
        return await store.get_own_comment(tx, public_id)

    updated = await db.write(edit)
    assert updated is not None
    return updated


async def delete_own(db: Database, keys: Keys, public_id: str, token: str | None) -> None:
    async def delete(tx: Transaction) -> None:
        row = await _find(tx, keys, public_id, token)
        if row is None:
            raise Forbidden("the edit token does not fit this comment, or its window has closed")
        await store.erase_comment(tx, row.id, row.article_id)
        await add_audit_entry(
            tx, actor="author", comment_id=public_id, action="delete",
            from_status=row.status, to_status=None, note=None,
        )  # fmt: skip

    await db.write(delete)
