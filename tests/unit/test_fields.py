"""Cleaning user-sent text: the rules of API.md "Details that frontends rely on"."""

from __future__ import annotations

import logging
import unicodedata

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from service.fields import (
    Email,
    _is_plain_address,
    clean_line,
    clean_optional_url,
    clean_slug,
    clean_text,
    clean_url,
    is_slug,
    normalize_email,
)

# --- one-line fields ---------------------------------------------------------------


def test_lines_are_nfc_normalized_and_trimmed() -> None:
    assert clean_line("  Cafe\u0301 \t\n", max_length=10) == "Café"
    assert clean_line("\u00a0Ada\u2003", max_length=10) == "Ada"  # Unicode spaces too


def test_lengths_count_code_points_after_nfc_and_trimming() -> None:
    decomposed = "e\u0301" * 5  # 10 code points before NFC, 5 after
    assert clean_line(f"  {decomposed}  ", max_length=5) == "é" * 5
    assert clean_line("😀" * 5, max_length=5) == "😀" * 5  # not UTF-16 units, not bytes
    with pytest.raises(ValueError, match="must be at most 5 characters"):
        clean_line("é" * 6, max_length=5)


def test_over_long_input_is_refused_not_truncated() -> None:
    with pytest.raises(ValueError, match="at most 3"):
        clean_line("abcd", max_length=3)


@pytest.mark.parametrize("value", ["", "   ", "\n\t "])
def test_blank_is_required(value: str) -> None:
    with pytest.raises(ValueError, match=r"^is required$"):
        clean_line(value, max_length=10)


def test_a_minimum_length_other_than_one() -> None:
    with pytest.raises(ValueError, match="needs at least 3 characters"):
        clean_line("ab", max_length=10, min_length=3)
    assert clean_text("", max_length=10, min_length=0) == ""


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\n", "\t", "\r"])
def test_control_characters_are_refused_in_lines(char: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        clean_line(f"a{char}b", max_length=10)


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"]
)
def test_bidi_controls_are_refused_in_names(char: str) -> None:
    with pytest.raises(ValueError, match="bidirectional"):
        clean_line(f"evil{char}gnp.exe", max_length=40, name_rules=True)
    assert clean_line(f"a{char}b", max_length=10) == f"a{char}b"  # allowed elsewhere


def test_right_to_left_text_itself_is_fine_in_names() -> None:
    assert clean_line("نور", max_length=10, name_rules=True) == "نور"


# --- multi-line text --------------------------------------------------------------


def test_text_keeps_newlines_and_tabs_and_folds_crlf() -> None:
    assert clean_text("  one\r\ntwo\n\tthree  ", max_length=100) == "one\ntwo\n\tthree"


@pytest.mark.parametrize("char", ["\r", "\x00", "\x0b", "\x0c", "\x1b", "\x7f"])
def test_other_control_characters_are_refused_in_text(char: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        clean_text(f"one{char}two", max_length=100)


def test_text_length_is_counted_after_folding() -> None:
    assert clean_text("a\r\nb", max_length=3) == "a\nb"
    with pytest.raises(ValueError):
        clean_text("a\r\nbc", max_length=3)


# --- URLs and slugs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/a?b=c#d",
        "HTTPS://EXAMPLE.COM/",
        "https://[::1]:8080/",
    ],
)
def test_http_urls_are_accepted(url: str) -> None:
    assert clean_url(f" {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.com",
        "//example.com",
        "https://",
        "https:///path",
        "example.com",
        "https://exa mple.com",
        "https://[::1",
        "http://example.com/\x00",
        "mailto:a@example.com",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        clean_url(url)


def test_url_length_limit() -> None:
    with pytest.raises(ValueError, match="at most 2000"):
        clean_url("https://example.com/" + "a" * 2000)


def test_optional_urls() -> None:
    assert clean_optional_url(None) is None
    assert clean_optional_url("  ") is None
    assert clean_optional_url("https://e.com") == "https://e.com"


@pytest.mark.parametrize("slug", ["a", "knee-pain", "2026-review", "a" * 120])
def test_good_slugs(slug: str) -> None:
    assert is_slug(slug)
    assert clean_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    ["", "A", "knee_pain", "knee--pain", "-knee", "knee-", "kn ee", "../x", "a/b", "é", "a" * 121],
)
def test_bad_slugs(slug: str) -> None:
    assert not is_slug(slug)
    with pytest.raises(ValueError, match="lowercase letters, digits and single hyphens"):
        clean_slug(slug)


def test_a_trailing_newline_is_not_part_of_a_slug() -> None:
    assert not is_slug("a\n")  # a `$` anchor would let it through
    assert clean_slug(" a\n") == "a"  # cleaning input trims it


# --- e-mail -----------------------------------------------------------------------


def test_email_is_normalized_for_matching() -> None:
    assert normalize_email("  Ada.Lovelace@Example.COM ").value == "ada.lovelace@example.com"
    assert normalize_email("ADA@example.com") == normalize_email("ada@EXAMPLE.com")
    assert len({normalize_email("a@example.com"), normalize_email("A@example.com")}) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is required"),
        ("   ", "is required"),
        ("no-at-sign", "must be a valid e-mail address"),
        ("a@b", "must be a valid e-mail address"),
        ("a@@example.com", "must be a valid e-mail address"),
        ("a b@example.com", "must be a valid e-mail address"),
        ("a@example.com\x00", "must be a valid e-mail address"),
        ("a" * 250 + "@e.com", "must be at most 254 characters"),
    ],
)
def test_bad_emails(value: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_email(value)
    assert str(caught.value) == message
    if value.strip():
        assert value.strip() not in str(caught.value)


def _by_the_library(text: str) -> str | None:
    """email-validator's own answer: the lower-cased address, or None if refused."""
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


# Pieces that sit on both sides of the plain-address shortcut's edges: every
# ASCII atom character, dots, hyphens, Punycode and reserved names, digits-only
# and long labels, Unicode, quotes and brackets.
_ADDRESS_PIECES = st.sampled_from(
    [*"aZ09.-_+!#$%&'*/=?^`{|}~@\"() []", "xn--", "ab--", "--", "test", "localhost",
    "local", "onion", "arpa", "invalid", ".com", ".org", ".c0m", ".123", "example", "é", "ß",
    "İ", "K", "．", "。", "a" * 61, "a" * 63, "a" * 64]
)  # fmt: skip


@given(st.lists(_ADDRESS_PIECES, min_size=1, max_size=14).map("".join))
@settings(max_examples=4000, deadline=None)
@example("reader-1700000000-42@example.com")
@example("A.B+tag@Sub.Example.CO.uk")
@example("x@ab--cd.com")
@example("x@sub.localhost")
@example("x@example.c0m")
@example("a" * 64 + "@example.com")
@example("a" * 65 + "@example.com")
@example("x@" + ("a" * 63 + ".") * 3 + "a" * 61 + ".com")
def test_the_plain_address_shortcut_answers_as_email_validator_does(address: str) -> None:
    if _is_plain_address(address):
        assert _by_the_library(address) == address.lower()


@given(st.lists(_ADDRESS_PIECES, min_size=1, max_size=14).map("".join))
@settings(max_examples=2000, deadline=None)
def test_normalizing_accepts_and_refuses_what_email_validator_does(address: str) -> None:
    try:
        ours: str | None = normalize_email(address).value
    except ValueError:
        ours = None
    text = unicodedata.normalize("NFC", address).strip()
    expected = _by_the_library(text) if 0 < len(text) <= 254 else None
    assert ours == expected


def test_an_email_never_shows_itself(caplog: pytest.LogCaptureFixture) -> None:
    email = normalize_email("canary.7f3a@example.com")
    logging.getLogger("test").warning("posting as %s / %r / %s", email, email, [email])
    shown = f"{email} {email!r} {[email]} {email!s} {dict(e=email)}"
    assert "canary" not in shown
    assert "canary" not in caplog.text
    assert repr(email) == "Email(<hidden>)"
    assert email.value == "canary.7f3a@example.com"


def test_email_equality_is_by_value() -> None:
    assert Email("a@example.com") == Email("a@example.com")
    assert Email("a@example.com") != Email("b@example.com")
    assert Email("a@example.com") != "a@example.com"
