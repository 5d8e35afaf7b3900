"""A reader leaves a reply: checks, rules, rendering and one durable insert.

Everything from the flood check to the insert happens inside one write
transaction, so two workers cannot both let a flood through.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moderation.rules import (
    Duplicate,
    Facts,
    Flooding,
    RuleSettings,
    Submission,
    judge_content,
    refuse_floods,
)
from moderation.states import Status
from service.clock import format_time, utc_now
from service.comments.fields import NEW_COMMENT
from service.config import Settings
from service.content.rendering import render_comment, shown_comment_text
from service.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, RateLimited
from service.fields import Email
from service.keys import Keys
from service.storage import comments as store
from service.storage.articles import get_comment_target
from service.storage.audit import add_audit_entry
from service.storage.database import Database, Queryable, Transaction
from service.storage.owner import OwnCommentRow
from service.validation import collect

EDIT_TOKEN_BYTES = 24  # 192 bits


def rule_settings(settings: Settings) -> RuleSettings:
    return RuleSettings(
        disallowed_terms=settings.disallowed_terms,
        moderation_terms=settings.moderation_terms,
        max_links=settings.max_links,
        min_interval_seconds=settings.post_min_interval_seconds,
        rate_limit_count=settings.post_rate_limit,
        rate_limit_window_seconds=settings.post_rate_window_seconds,
    )


@dataclass(frozen=True)
class Accepted:
    comment: OwnCommentRow
    edit_token: str
    edit_expires_at: str


def new_public_id() -> str:
    """16 URL-safe characters: the time in milliseconds, then 48 random bits.

    Ids of comments posted together share a prefix, so the inserts of one
    batch land on the same few index pages instead of one random page each,
    and each commit writes fewer pages. The time is public anyway (created_at).
    """
    millis = time.time_ns() // 1_000_000
    raw = millis.to_bytes(6, "big") + secrets.token_bytes(6)
    return base64.urlsafe_b64encode(raw).decode("ascii")


async def submit(
    db: Database, keys: Keys, settings: Settings, slug: str, raw: dict[str, Any], client: str
) -> Accepted:
    data = collect(raw, NEW_COMMENT)
    email: Email = data["email"]
    rules = rule_settings(settings)
    body_html = render_comment(data["body"])
    submission = Submission(
        name=data["name"],
        email=email.value,
        website=data["website"],
        body=data["body"],
        trap=data["trap"],
        body_html=body_html,
        body_text=shown_text(data["body"], body_html, rules),
    )
    # The text's verdict needs no lock; only the flood facts are read inside it.
    verdict = judge_content(submission, rules)
    fingerprint = keys.fingerprint(" ".join(submission.body.casefold().split()))
    now = utc_now()
    created_at = format_time(now)
    edit_token = secrets.token_urlsafe(EDIT_TOKEN_BYTES)
    expires = format_time(now + timedelta(seconds=settings.edit_window_seconds))
    email_key, client_key = keys.email_key(email.value), keys.client_key(client)
    # Everything but the id and the place in the thread (store.Placement).
    new_comment = store.NewComment(
        status=verdict.status.value,
        name=submission.name,
        email=email.value,
        website=submission.website,
        body=submission.body,
        body_html=body_html,
        email_key=email_key,
        avatar_key=keys.avatar_key(email.value),
        client_key=client_key,
        body_fingerprint=fingerprint,
        flags=json.dumps([{"rule": f.rule, "detail": f.detail} for f in verdict.flags]),
        edit_token_hash=keys.fingerprint(edit_token),
        edit_expires_at=expires,
        created_at=created_at,
    )

    # The newest posts the rate rules look at: as many as the limit, or the last
    # one for the minimum interval; none when both are off.
    # (With every flood and duplicate rule off, posting_facts reads nothing.)
    recent_rows = max(settings.post_rate_limit, int(settings.post_min_interval_seconds > 0))

    async def refuse_floods_seen_by(q: Queryable) -> None:
        facts = await store.posting_facts(
            q,
            email_key=email_key,
            client_key=client_key,
            fingerprint=fingerprint,
            now_epoch=time.time(),
            lookback_seconds=max(
                settings.post_rate_window_seconds, settings.post_min_interval_seconds
            ),
            rate_window=settings.post_rate_window_seconds,
            rows=recent_rows,
            duplicate_window=settings.duplicate_window_seconds,
        )
        _refuse_floods(facts, rules)

    # A first look without the write lock refuses floods and duplicates at once,
    # instead of after every queued write; the check that counts is repeated below.
    await refuse_floods_seen_by(db)

    async def store_comment(tx: Transaction) -> OwnCommentRow:
        # The article's id and whether it takes comments, not its whole text.
        article = await get_comment_target(tx, slug, created_at)
        if article is None:
            raise NotFound("no such article")
        if not article.comments_open:
            raise Forbidden("comments are closed on this article")
        parent_id, thread_id, depth = await _place_reply(
            tx, settings, article.id, data["parent_id"]
        )
        await refuse_floods_seen_by(tx)
        public_id = new_public_id()
        place = store.Placement(
            public_id=public_id, article_id=article.id, parent_id=parent_id,
            parent_public_id=data["parent_id"], thread_id=thread_id, depth=depth,
        )  # fmt: skip
        stored = await store.insert_comment(tx, new_comment, place)
        await add_audit_entry(
            tx, actor="author", comment_id=public_id, action="submit",
            from_status=None, to_status=verdict.status.value, note=None, at=created_at,
        )  # fmt: skip
        return stored

    stored = await db.write(store_comment)
    return Accepted(comment=stored, edit_token=edit_token, edit_expires_at=expires)


def shown_text(body: str, body_html: str, rules: RuleSettings) -> str:
    """What readers will see of the body, for the term rules; "" when no terms
    are set (reading the HTML's text costs up to ~0.2 ms on a long comment)."""
    if not (rules.disallowed_terms or rules.moderation_terms):
        return ""
    return shown_comment_text(body, body_html)


def _refuse_floods(facts: store.PostingFacts, rules: RuleSettings) -> None:
    try:
        refuse_floods(
            Facts(
                seconds_since_last_by_email=facts.seconds_since_last_by_email,
                seconds_since_last_by_client=facts.seconds_since_last_by_client,
                recent_count_by_email=facts.recent_count_by_email,
                recent_count_by_client=facts.recent_count_by_client,
                duplicate=facts.duplicate,
                oldest_recent_age_by_email=facts.oldest_recent_by_email,
                oldest_recent_age_by_client=facts.oldest_recent_by_client,
            ),
            rules,
        )
    except Flooding as exc:
        raise RateLimited(
            "too many comments; wait before posting again", exc.retry_after_seconds
        ) from None
    except Duplicate:
        raise Conflict("this comment was already posted") from None


async def _place_reply(
    tx: Transaction, settings: Settings, article_id: int, parent_public_id: str | None
) -> tuple[int | None, int | None, int]:
    """(parent row id, thread id, depth) for a new comment; replies go to approved comments."""
    if parent_public_id is None:
        return None, None, 0
    parent = await store.get_parent(tx, parent_public_id)
    if (
        parent is None
        or parent.article_id != article_id
        or parent.status != Status.APPROVED
        or parent.removed
    ):
        raise InvalidInput([FieldError("parent_id", "must be an approved comment of this article")])
    if parent.depth + 1 > settings.max_reply_depth:
        raise InvalidInput(
            [FieldError("parent_id", f"replies nest at most {settings.max_reply_depth} deep")]
        )
    return parent.id, parent.thread_id, parent.depth + 1
