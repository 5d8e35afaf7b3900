"""The rule pipeline: a submission plus looked-up facts become a verdict.

The caller does the I/O (recent posts by this address and client, the
duplicate check) and passes the answers in as `Facts`; `evaluate` runs:

1. flood and rate limits, per e-mail address and per client -> Flooding (429);
2. duplicate body from the same address or client -> Duplicate (409);
3. honeypot: the hidden trap field is filled in -> spam;
4. disallowed terms in name, e-mail, website or body -> spam;
5. moderation terms, same fields -> flagged;
6. links in the body, at or above `max_links` -> flagged.

`refuse_floods` (1-2) and `judge_content` (3-6) are the two halves, for a
caller that checks the facts more than once but the text only once.

The refusals come first because the poster is told about them; after that
the answer is the same 202 whatever the rules find, so a spammer cannot
probe which rule caught them (API.md: spam answers exactly like pending).

The verdict is PENDING or SPAM, never APPROVED. Nothing is approved
automatically, not even for an address approved before: an e-mail address
is not an identity, anyone can type anyone's.

Flag details are stored and shown to moderators; they never contain the
e-mail address.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import ClassVar

from moderation.states import Status
from moderation.text import (
    Folded,
    count_links,
    count_rendered_links,
    find_terms,
    fold,
    normalize_for_matching,
)


@dataclass(frozen=True)
class Submission:
    name: str
    email: str  # already normalized: trimmed, lowercase
    website: str | None
    body: str  # the Markdown source, as the commenter wrote it
    trap: str | None
    # The body as readers will see it: the sanitized HTML, and its text ("" when
    # that is the source itself, or no terms are set). The caller renders. Markup
    # can hide a term or a link from the source alone: vi*a*gra, via&#103;ra,
    # [a [b] c](//x). Required, so that no caller judges the source alone.
    body_html: str = field(kw_only=True)
    body_text: str = field(kw_only=True)


@dataclass(frozen=True)
class Facts:
    """What the caller looked up in the database before calling `evaluate`.

    Counts cover the rate window; `duplicate` covers the duplicate window, on
    any article. The oldest ages (of the oldest post counted) are optional:
    with them Retry-After can be exact, without them it is the whole window.
    """

    seconds_since_last_by_email: float | None
    seconds_since_last_by_client: float | None
    recent_count_by_email: int
    recent_count_by_client: int
    duplicate: bool
    oldest_recent_age_by_email: float | None = None
    oldest_recent_age_by_client: float | None = None


@dataclass(frozen=True)
class RuleSettings:
    """The configurable knobs. Zero disables `max_links`,
    `min_interval_seconds` and `rate_limit_count`."""

    disallowed_terms: tuple[str, ...] = ()
    moderation_terms: tuple[str, ...] = ()
    max_links: int = 2
    min_interval_seconds: float = 15
    rate_limit_count: int = 5
    rate_limit_window_seconds: float = 600

    def __post_init__(self) -> None:
        # A bare str would be matched letter by letter; refuse it up front.
        for name in ("disallowed_terms", "moderation_terms"):
            if not isinstance(getattr(self, name), tuple):
                raise TypeError(f"{name} must be a tuple of strings")
        for name in ("max_links", "min_interval_seconds", "rate_limit_count"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_limit_window_seconds <= 0:
            raise ValueError("rate_limit_window_seconds must be positive")


@dataclass(frozen=True)
class Flag:
    rule: str
    detail: str  # a sentence for a moderator; never the e-mail address


@dataclass(frozen=True)
class Verdict:
    status: Status  # PENDING or SPAM
    flags: tuple[Flag, ...]


class Refused(Exception):
    """The submission is refused outright and not stored."""

    code: ClassVar[str] = "refused"


class Duplicate(Refused):
    code = "duplicate"

    def __init__(self) -> None:
        super().__init__("the same comment was posted recently")


class Flooding(Refused):
    code = "rate_limited"

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many comments; retry after {retry_after_seconds} s")


def evaluate(submission: Submission, facts: Facts, settings: RuleSettings) -> Verdict:
    """Run every rule; raise Refused subclasses for refusals.

    All flags are collected, not just the first, so a moderator sees every
    reason at once.
    """
    refuse_floods(facts, settings)
    return judge_content(submission, settings)


def refuse_floods(facts: Facts, settings: RuleSettings) -> None:
    """The rules that read the database's facts: raise Flooding or Duplicate."""
    wait = _flood_wait(facts, settings)
    if wait is not None:
        raise Flooding(wait)
    if facts.duplicate:
        raise Duplicate()


def judge_content(submission: Submission, settings: RuleSettings) -> Verdict:
    """The rules that read only the submission; the same text always gets the same verdict."""
    # Folded once for both lists of terms, and not at all when there are none.
    fields = (
        _folded_fields(submission) if settings.disallowed_terms or settings.moderation_terms else ()
    )
    spam = [
        *_honeypot_flags(submission.trap),
        *_term_flags(fields, settings.disallowed_terms, "disallowed_term", "a disallowed term"),
    ]
    flagged = [
        *_term_flags(fields, settings.moderation_terms, "moderation_term", "a moderation term"),
        *_link_flags(submission, settings.max_links),
    ]
    flags = tuple(_without_email(flag, submission.email) for flag in spam + flagged)
    return Verdict(status=Status.SPAM if spam else Status.PENDING, flags=flags)


def _flood_wait(facts: Facts, settings: RuleSettings) -> int | None:
    waits = [
        _interval_wait(facts.seconds_since_last_by_email, settings),
        _interval_wait(facts.seconds_since_last_by_client, settings),
        _window_wait(facts.recent_count_by_email, facts.oldest_recent_age_by_email, settings),
        _window_wait(facts.recent_count_by_client, facts.oldest_recent_age_by_client, settings),
    ]
    longest = max((wait for wait in waits if wait is not None), default=None)
    if longest is None:
        return None
    # Rounded first so float noise (10.000000000000002) does not add a second.
    return max(1, math.ceil(round(longest, 6)))


def _interval_wait(since_last: float | None, settings: RuleSettings) -> float | None:
    minimum = settings.min_interval_seconds
    if minimum <= 0 or since_last is None:
        return None
    # A clock stepping backwards must not let a post through.
    since_last = max(since_last, 0.0)
    return minimum - since_last if since_last < minimum else None


def _window_wait(
    recent_count: int, oldest_age: float | None, settings: RuleSettings
) -> float | None:
    limit, window = settings.rate_limit_count, settings.rate_limit_window_seconds
    if limit <= 0 or recent_count < limit:
        return None
    if recent_count == limit and oldest_age is not None:
        # One slot frees up when the oldest counted post leaves the window.
        return min(window, max(window - oldest_age, 0.0))
    # Over the limit, or the age unknown: after a whole window every counted
    # post has left it, so that wait is always enough.
    return window


def _link_flags(submission: Submission, max_links: int) -> list[Flag]:
    if max_links <= 0:
        return []
    # Each reading can miss what the other sees: the source's count takes in bare
    # URLs and code, the rendered links whatever Markdown made a link.
    found = max(count_links(submission.body), count_rendered_links(submission.body_html))
    if found < max_links:
        return []
    noun = "link" if found == 1 else "links"
    return [Flag("links", f"body contains {found} {noun} (limit {max_links})")]


# The trap is answered once, at posting, and not stored: an edit keeps this flag.
HONEYPOT = "honeypot"


def _honeypot_flags(trap: str | None) -> list[Flag]:
    # Whitespace only is not a hit: some autofill and paste paths add it.
    if trap is None or not trap.strip():
        return []
    return [Flag(HONEYPOT, "the hidden trap field was filled in")]


_Fields = tuple[tuple[str, tuple[Folded, ...]], ...]


def _folded_fields(submission: Submission) -> _Fields:
    """Each field's label and readings (the body's: its source and its shown text)."""
    return (
        ("name", (fold(submission.name),)),
        ("e-mail address", (fold(submission.email),)),
        ("website", (fold(submission.website or ""),)),
        ("body", (fold(submission.body), fold(submission.body_text))),
    )


def _term_flags(fields: _Fields, terms: tuple[str, ...], rule: str, kind: str) -> list[Flag]:
    return [
        Flag(rule, f"{label} contains {kind}: {term}")
        for label, readings in fields
        # dict.fromkeys: each term once per field, in the order first found.
        for term in dict.fromkeys(t for text in readings for t in find_terms(text, terms))
    ]


def _without_email(flag: Flag, email: str) -> Flag:
    # Belt and braces: a configured term may be the address itself.
    detail = flag.detail
    for needle in (email.strip(), normalize_for_matching(email)):
        if needle:
            detail = re.sub(re.escape(needle), "[e-mail address]", detail, flags=re.IGNORECASE)
    return flag if detail == flag.detail else Flag(flag.rule, detail)
