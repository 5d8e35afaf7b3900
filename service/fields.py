"""Cleaning of user-sent text: the rules of API.md "Details", in one place.

Lengths count code points after NFC and trimming. Control characters are refused
everywhere except newline and tab in long text; bidi embedding and override
characters are refused in names. Over-long input is refused, never truncated.
Each function returns the cleaned value or raises ValueError with a message that
names no private data.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import email_validator
from email_validator import EmailNotValidError, validate_email

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # fullmatch: `$` would allow a final "\n"
SLUG_MAX = 120


# Control characters (C0, DEL, C1), and lone surrogates (which no UTF-8 text can
# carry); one regex scan rather than a Python loop over every character.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_NEWLINE_AND_TAB = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _has_control(text: str, *, allow_newline_and_tab: bool = False) -> bool:
    pattern = _CONTROL_BUT_NEWLINE_AND_TAB if allow_newline_and_tab else _CONTROL
    return pattern.search(text) is not None


def clean_line(
    value: str, *, max_length: int, min_length: int = 1, name_rules: bool = False
) -> str:
    """A one-line field such as a name or a title."""
    text = unicodedata.normalize("NFC", value).strip()
    if _has_control(text):
        raise ValueError("must not contain control characters")
    if name_rules and any(ch in _BIDI_CONTROLS for ch in text):
        raise ValueError("must not contain bidirectional control characters")
    return _check_length(text, min_length, max_length)


def clean_text(value: str, *, max_length: int, min_length: int = 1) -> str:
    """Multi-line text such as a comment body: newlines and tabs are kept, CR LF folded."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if _has_control(text, allow_newline_and_tab=True):
        raise ValueError("must not contain control characters")
    return _check_length(text, min_length, max_length)


def _check_length(text: str, min_length: int, max_length: int) -> str:
    if len(text) < min_length:
        raise ValueError(
            "is required" if min_length == 1 else f"needs at least {min_length} characters"
        )
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    return text


def clean_url(value: str, *, max_length: int = 2000) -> str:
    """An absolute http or https URL with a host."""
    text = clean_line(value, max_length=max_length)
    if any(ch.isspace() for ch in text):
        raise ValueError("must be an http or https URL")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError("must be an http or https URL") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http or https URL")
    return text


def clean_optional_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_url(value)


def clean_slug(value: str) -> str:
    text = value.strip()
    if not _SLUG.fullmatch(text) or len(text) > SLUG_MAX:
        raise ValueError(
            f"must be lowercase letters, digits and single hyphens, at most {SLUG_MAX} characters"
        )
    return text


def is_slug(value: str) -> bool:
    return len(value) <= SLUG_MAX and _SLUG.fullmatch(value) is not None


class Email:
    """A normalized e-mail address whose repr never shows the address."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Email(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Email) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def normalize_email(value: str) -> Email:
    """Syntax check only (no network); the whole address is lower-cased for matching."""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise ValueError("is required")
    if len(text) > 254:
        raise ValueError("must be at most 254 characters")
    if _is_plain_address(text):
        return Email(text.lower())
    if _has_control(text):
        raise ValueError("must be a valid e-mail address")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("must be a valid e-mail address") from None
    return Email(result.normalized.lower())


# Most addresses are plain ASCII: dot-atoms at a host name whose labels are
# letters, digits and single hyphens, under a top-level domain of letters.
# email-validator accepts every such address and only lower-cases its domain;
# it costs ~50 µs doing so. Anything else (Unicode, quotes, "xn--" labels,
# reserved names) it checks itself. tests/unit/test_fields.py holds the two
# to the same answers on generated addresses.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_ADDRESS = re.compile(
    rf"{_ATOM}(?:\.{_ATOM})*@(?P<domain>(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z])?)",
    re.IGNORECASE | re.ASCII,
)


def _is_plain_address(text: str) -> bool:
    # email-validator (not strict) limits the whole length and each label's, as
    # the pattern does; not the local part's.
    match = _PLAIN_ADDRESS.fullmatch(text) if len(text) <= 254 else None
    if match is None:
        return False
    domain = match["domain"].lower()
    return "--" not in domain and not any(
        domain == reserved or domain.endswith("." + reserved)
        for reserved in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )
