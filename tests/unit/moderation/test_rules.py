"""The rule pipeline: refusals, spam rules and flags, each as a table."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.rules import (
    Duplicate,
    Facts,
    Flag,
    Flooding,
    Refused,
    RuleSettings,
    Submission,
    Verdict,
    evaluate,
)
from moderation.states import Status

EMAIL = "canary.reader@example.org"
QUIET = Facts(
    seconds_since_last_by_email=None,
    seconds_since_last_by_client=None,
    recent_count_by_email=0,
    recent_count_by_client=0,
    duplicate=False,
)
CLEAN = Submission(
    name="Ada Reader",
    email=EMAIL,
    website=None,
    body="A thoughtful comment about the article.",
    trap=None,
    body_html="<p>A thoughtful comment about the article.</p>",
    body_text="",
)


def submission(**changes: Any) -> Submission:
    return dataclasses.replace(CLEAN, **changes)


def facts(**changes: Any) -> Facts:
    return dataclasses.replace(QUIET, **changes)


def run(
    sub: Submission = CLEAN,
    found: Facts = QUIET,
    settings: RuleSettings | None = None,
) -> Verdict:
    return evaluate(sub, found, settings or RuleSettings())


def test_a_clean_comment_waits_unflagged() -> None:
    assert run() == Verdict(status=Status.PENDING, flags=())


def test_default_settings_are_pinned() -> None:
    assert RuleSettings() == RuleSettings(
        disallowed_terms=(),
        moderation_terms=(),
        max_links=2,
        min_interval_seconds=15,
        rate_limit_count=5,
        rate_limit_window_seconds=600,
    )


# --- flood and rate limits ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "retry_after"),
    [
        ({}, None),
        ({"seconds_since_last_by_email": 5}, 10),
        ({"seconds_since_last_by_client": 5}, 10),
        ({"seconds_since_last_by_email": 14.2}, 1),
        ({"seconds_since_last_by_email": 14.9999999}, 1),
        ({"seconds_since_last_by_email": 15}, None),
        ({"seconds_since_last_by_client": 3600}, None),
        ({"seconds_since_last_by_email": -3}, 15),  # clock stepped back
        ({"seconds_since_last_by_email": 5, "seconds_since_last_by_client": 12}, 10),
        ({"recent_count_by_email": 4}, None),
        ({"recent_count_by_email": 5}, 600),  # oldest age unknown: whole window
        ({"recent_count_by_client": 5}, 600),
        ({"recent_count_by_client": 5, "oldest_recent_age_by_client": 590}, 10),
        ({"recent_count_by_email": 5, "oldest_recent_age_by_email": 0.5}, 600),
        ({"recent_count_by_email": 5, "oldest_recent_age_by_email": 599.99}, 1),
        ({"recent_count_by_email": 5, "oldest_recent_age_by_email": 900}, 1),
        ({"recent_count_by_email": 6, "oldest_recent_age_by_email": 590}, 600),
        ({"recent_count_by_email": 4, "oldest_recent_age_by_email": 590}, None),
        (
            {
                "recent_count_by_client": 5,
                "oldest_recent_age_by_client": 100,
                "seconds_since_last_by_email": 5,
            },
            500,  # the longest wait wins
        ),
        (
            {
                "recent_count_by_email": 5,
                "oldest_recent_age_by_email": 595,
                "seconds_since_last_by_client": 2,
            },
            13,
        ),
    ],
)
def test_flood_and_rate_limits(changes: dict[str, Any], retry_after: int | None) -> None:
    if retry_after is None:
        assert run(found=facts(**changes)).status is Status.PENDING
        return
    with pytest.raises(Flooding) as caught:
        run(found=facts(**changes))
    assert caught.value.retry_after_seconds == retry_after
    assert type(caught.value.retry_after_seconds) is int
    assert caught.value.code == "rate_limited"
    assert isinstance(caught.value, Refused)


@pytest.mark.parametrize(
    ("settings", "changes", "retry_after"),
    [
        (
            RuleSettings(min_interval_seconds=0),
            {"seconds_since_last_by_email": 0},
            None,
        ),
        (RuleSettings(rate_limit_count=0), {"recent_count_by_client": 1000}, None),
        (
            RuleSettings(min_interval_seconds=30),
            {"seconds_since_last_by_client": 0.5},
            30,
        ),
        (
            RuleSettings(rate_limit_count=2, rate_limit_window_seconds=60),
            {"recent_count_by_email": 2, "oldest_recent_age_by_email": 45},
            15,
        ),
        (
            RuleSettings(rate_limit_count=2, rate_limit_window_seconds=60),
            {"recent_count_by_client": 3},
            60,
        ),
    ],
)
def test_flood_settings(
    settings: RuleSettings, changes: dict[str, Any], retry_after: int | None
) -> None:
    if retry_after is None:
        assert run(found=facts(**changes), settings=settings).status is Status.PENDING
        return
    with pytest.raises(Flooding) as caught:
        run(found=facts(**changes), settings=settings)
    assert caught.value.retry_after_seconds == retry_after


def test_flooding_is_checked_before_duplicate() -> None:
    with pytest.raises(Flooding):
        run(found=facts(duplicate=True, seconds_since_last_by_client=1))


# --- duplicate ----------------------------------------------------------------


def test_duplicate_is_refused() -> None:
    with pytest.raises(Duplicate) as caught:
        run(found=facts(duplicate=True))
    assert caught.value.code == "duplicate"
    assert isinstance(caught.value, Refused)
    assert str(caught.value) == "the same comment was posted recently"


def test_duplicate_is_refused_before_content_rules() -> None:
    spammy = submission(trap="filled", body="casino https://a.example www.b.example")
    with pytest.raises(Duplicate):
        run(spammy, facts(duplicate=True), RuleSettings(disallowed_terms=("casino",)))


# --- honeypot -----------------------------------------------------------------

HONEYPOT = Flag("honeypot", "the hidden trap field was filled in")


@pytest.mark.parametrize(
    ("trap", "status"),
    [
        (None, Status.PENDING),
        ("", Status.PENDING),
        ("   ", Status.PENDING),
        (" \t\r\n\u00a0", Status.PENDING),
        ("x", Status.SPAM),
        ("0", Status.SPAM),
        ("  https://spam.example  ", Status.SPAM),
    ],
)
def test_honeypot(trap: str | None, status: Status) -> None:
    verdict = run(submission(trap=trap))
    assert verdict.status is status
    assert verdict.flags == ((HONEYPOT,) if status is Status.SPAM else ())


# --- disallowed and moderation terms --------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("body", "Best casino in town", "body"),
        ("body", "CaSiNo", "body"),
        ("body", "ＣＡＳＩＮＯ", "body"),  # full-width
        ("body", "ca\u200bsino", "body"),  # zero-width space
        ("body", "ca\u00adsino", "body"),  # soft hyphen
        ("body", "the Casino.", "body"),
        ("body", "casinos", None),  # whole words only
        ("body", "occasional", None),
        ("name", "Casino Bob", "name"),
        ("name", "ＣａｓｉｎｏＢｏｂ", None),  # one word, "casinobob"
        ("email", "casino@example.net", "e-mail address"),
        ("email", "casinos@example.net", None),
        ("website", "https://casino.example", "website"),
        ("website", "https://mycasinos.example", None),
        ("website", None, None),
    ],
)
def test_disallowed_terms_mark_spam(field: str, value: str | None, label: str | None) -> None:
    verdict = run(
        submission(**{field: value}),
        settings=RuleSettings(disallowed_terms=("casino",)),
    )
    if label is None:
        assert verdict == Verdict(Status.PENDING, ())
    else:
        detail = f"{label} contains a disallowed term: casino"
        assert verdict == Verdict(Status.SPAM, (Flag("disallowed_term", detail),))


@pytest.mark.parametrize(
    ("body", "terms", "matched"),
    [
        ("BUY   NOW", ("buy now",), ["buy now"]),
        ("buy\u00a0now", ("Buy Now",), ["buy now"]),
        ("buy\nnow", ("buy now",), ["buy now"]),
        ("buynow", ("buy now",), []),
        ("visit spam.EXAMPLE.RU today", ("example.ru",), ["example.ru"]),
        ("STRASSE", ("Straße",), ["strasse"]),
        ("anything at all", ("", "   "), []),
        ("casino", ("Casino", "casino", "CASINO"), ["casino"]),
        ("casino and poker", ("poker", "casino"), ["poker", "casino"]),
    ],
)
def test_disallowed_term_forms(body: str, terms: tuple[str, ...], matched: list[str]) -> None:
    verdict = run(submission(body=body), settings=RuleSettings(disallowed_terms=terms))
    assert [flag.detail for flag in verdict.flags] == [
        f"body contains a disallowed term: {term}" for term in matched
    ]
    assert verdict.status is (Status.SPAM if matched else Status.PENDING)


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("body", "I want a refund", "body"),
        ("body", "I want a REFUND!", "body"),
        ("body", "ｒｅｆｕｎｄ", "body"),
        ("body", "refunded", None),
        ("name", "Refund Department", "name"),
        ("email", "refund@example.net", "e-mail address"),
        ("website", "https://example.net/refund", "website"),
    ],
)
def test_moderation_terms_flag_but_stay_pending(field: str, value: str, label: str | None) -> None:
    verdict = run(
        submission(**{field: value}),
        settings=RuleSettings(moderation_terms=("refund",)),
    )
    assert verdict.status is Status.PENDING
    expected = (
        ()
        if label is None
        else (Flag("moderation_term", f"{label} contains a moderation term: refund"),)
    )
    assert verdict.flags == expected


def test_a_term_is_reported_once_per_field_it_is_in() -> None:
    sub = submission(name="casino", body="casino casino")
    verdict = run(sub, settings=RuleSettings(disallowed_terms=("casino",)))
    assert [flag.detail for flag in verdict.flags] == [
        "name contains a disallowed term: casino",
        "body contains a disallowed term: casino",
    ]


# --- links ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "max_links", "detail"),
    [
        ("no links here", 2, None),
        ("one https://a.example", 2, None),
        (
            "https://a.example and http://b.example",
            2,
            "body contains 2 links (limit 2)",
        ),
        (
            "[a](https://a.example) [b](https://b.example) [c](/c)",
            2,
            "body contains 3 links (limit 2)",
        ),
        ("https://www.a.example", 2, None),  # one link, not two
        ("https://a.example www.b.example", 2, "body contains 2 links (limit 2)"),
        ("awww. so cute", 2, None),
        (
            "[x](https://a.example) and https://a.example",
            2,
            "body contains 2 links (limit 2)",
        ),
        ("one https://a.example", 1, "body contains 1 link (limit 1)"),
        ("https://a.example " * 10, 0, None),  # 0 disables the rule
        ("https://a.example " * 4, 5, None),
    ],
)
def test_links(body: str, max_links: int, detail: str | None) -> None:
    verdict = run(submission(body=body), settings=RuleSettings(max_links=max_links))
    assert verdict.status is Status.PENDING
    assert verdict.flags == (() if detail is None else (Flag("links", detail),))


def test_the_website_field_is_not_counted_as_a_link() -> None:
    sub = submission(website="https://ada.example", body="see https://a.example")
    assert run(sub) == Verdict(Status.PENDING, ())


# --- the whole pipeline ---------------------------------------------------------


def test_every_reason_is_reported_in_rule_order() -> None:
    sub = submission(
        trap="bot",
        name="Casino Bob",
        body="Refund? https://a.example https://b.example",
    )
    settings = RuleSettings(disallowed_terms=("casino",), moderation_terms=("refund",))
    assert run(sub, settings=settings) == Verdict(
        Status.SPAM,
        (
            HONEYPOT,
            Flag("disallowed_term", "name contains a disallowed term: casino"),
            Flag("moderation_term", "body contains a moderation term: refund"),
            Flag("links", "body contains 2 links (limit 2)"),
        ),
    )


def test_flags_alone_never_make_spam() -> None:
    sub = submission(body="refund https://a.example https://b.example https://c.example")
    verdict = run(sub, settings=RuleSettings(moderation_terms=("refund",)))
    assert verdict.status is Status.PENDING
    assert [flag.rule for flag in verdict.flags] == ["moderation_term", "links"]


def test_no_flag_detail_contains_the_email_address() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in EMAIL)
    sub = submission(
        trap=EMAIL,
        name=f"Ada {EMAIL}",
        website=f"mailto:{EMAIL}",
        body=f"Write to {EMAIL} or <{EMAIL}> or [me](mailto:{EMAIL}) https://x.example",
    )
    settings = RuleSettings(
        disallowed_terms=(EMAIL, EMAIL.upper(), full_width, "example.org", "canary"),
        moderation_terms=(EMAIL, "reader"),
        max_links=1,
    )
    verdict = run(sub, settings=settings)
    details = [flag.detail for flag in verdict.flags]
    assert len(details) > 10
    for detail in details:
        assert EMAIL not in detail.casefold()
        assert "canary.reader@" not in detail.casefold()
    assert "e-mail address contains a disallowed term: [e-mail address]" in details
    assert "e-mail address contains a disallowed term: example.org" in details
    assert "e-mail address contains a disallowed term: canary" in details
    assert "body contains a moderation term: [e-mail address]" in details
    assert EMAIL not in repr(verdict).casefold()


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(TypeError, match="disallowed_terms must be a tuple"):
        RuleSettings(disallowed_terms="casino")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_links must not be negative"):
        RuleSettings(max_links=-1)
    with pytest.raises(ValueError, match="min_interval_seconds must not be negative"):
        RuleSettings(min_interval_seconds=-1)
    with pytest.raises(ValueError, match="rate_limit_count must not be negative"):
        RuleSettings(rate_limit_count=-1)
    with pytest.raises(ValueError, match="rate_limit_window_seconds must be positive"):
        RuleSettings(rate_limit_window_seconds=0)


@st.composite
def submissions_and_terms(draw: st.DrawFn) -> tuple[Submission, RuleSettings]:
    email = draw(st.emails()).lower()
    terms = st.lists(st.text(max_size=12) | st.just(email) | st.just(email.upper()))
    sub = Submission(
        name=draw(st.text(max_size=40)),
        email=email,
        website=draw(st.none() | st.text(max_size=40)),
        body=draw(st.text() | st.just(f"mail {email} now")),
        trap=draw(st.none() | st.text(max_size=5)),
        body_html=draw(st.text(max_size=40)),
        body_text=draw(st.text(max_size=40) | st.just(f"shown {email} now")),
    )
    settings = RuleSettings(
        disallowed_terms=tuple(draw(terms)),
        moderation_terms=tuple(draw(terms)),
        max_links=draw(st.integers(0, 3)),
    )
    return sub, settings


@given(submissions_and_terms())
def test_nothing_is_ever_approved_and_no_detail_holds_the_email(
    case: tuple[Submission, RuleSettings],
) -> None:
    sub, settings = case
    verdict = evaluate(sub, QUIET, settings)
    spam_rules = {"honeypot", "disallowed_term"}
    assert verdict.status in (Status.PENDING, Status.SPAM)
    assert (verdict.status is Status.SPAM) == any(flag.rule in spam_rules for flag in verdict.flags)
    for flag in verdict.flags:
        assert sub.email not in flag.detail.casefold()
