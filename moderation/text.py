"""How the rules read text: normalization, term matching, link counting."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass


def normalize_for_matching(text: str) -> str:
    """Fold `text` so that look-alike spellings of a term compare equal.

    NFKC turns full-width and other compatibility forms into plain ones;
    casefold handles case (including "ß" -> "ss"); characters that are not
    drawn (format characters such as zero-width spaces and soft hyphens, and
    the other default-ignorable ones: the grapheme joiner, variation selectors,
    fillers, and the code points kept unassigned for more of them) are dropped
    because they split a word without changing how it looks; runs of
    whitespace become one space.
    """
    # Invisible characters go first, so that what they separated can compose.
    # After the whitespace is collapsed, printable text can only hold the few
    # marks of _INVISIBLE_MARKS, and the check per character is skipped.
    text = " ".join(text.split())
    if not text.isprintable() or _INVISIBLE_MARKS.search(text):
        text = _INVISIBLE_MARKS.sub("", text)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


# Unicode's default-ignorable code points that are not format characters (Cf):
# printable to Python, or not yet assigned in the blocks kept for such
# characters. Unassigned code points elsewhere stay: newer emoji are drawn.
_INVISIBLE_MARKS = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]"
)


@dataclass(frozen=True, slots=True)
class Folded:
    """A text ready for term matching: folded once, matched against every list."""

    text: str
    # A set of words, not a regex per term: long term lists stay cheap.
    words: frozenset[str]


def fold(text: str) -> Folded:
    normalized = normalize_for_matching(text)
    return Folded(normalized, frozenset(_WORD.findall(normalized)))


def find_terms(text: str | Folded, terms: tuple[str, ...]) -> list[str]:
    """The configured `terms` that occur in `text`, in normalized form.

    A term made only of letters, digits and underscores matches whole words;
    a term with spaces or punctuation matches anywhere.
    """
    prepared = _prepare_terms(terms)
    if not prepared:
        return []
    folded = text if isinstance(text, Folded) else fold(text)
    return [
        term
        for term, whole_word in prepared
        if (term in folded.words if whole_word else term in folded.text)
    ]


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=16)
def _prepare_terms(terms: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    # Cached because the same configured lists serve every submission.
    prepared: dict[str, bool] = {}
    for raw in terms:
        term = normalize_for_matching(raw)
        if term and term not in prepared:
            prepared[term] = _WORD.fullmatch(term) is not None
    return tuple(prepared.items())


# [text](destination "title") and ![alt](destination); an empty destination
# links nowhere, so it does not count. No two adjacent parts can match the
# same characters, which keeps matching linear on hostile input.
_MARKDOWN_LINK = re.compile(
    r"\[[^\[\]]*\]\(\s*"
    r"(?:<[^<>\n]+>|(?:[^\s()<>]|\([^\s()<>]*\))+)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
# [label]: destination, which turns every [text][label] into a link.
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?\S+", re.MULTILINE)
# What a linkifier turns into a link: URLs, mailto: and www. addresses.
_BARE_LINK = re.compile(r"(?:\b(?:https?://|mailto:)|(?<![\w.])www\.(?=\w))[^\s<>]+", re.IGNORECASE)
# <someone@example.com> is a CommonMark mailto autolink.
_EMAIL_AUTOLINK = re.compile(r"<[^\s<>@]+@[^\s<>@]+>")


def count_links(markdown: str) -> int:
    """How many links the Markdown source holds, each counted once.

    Counted on the source, code spans included: a false flag costs a
    moderator a glance, a missed link costs more.
    """
    # Each kind is blanked out once counted, so the URL inside is not counted again.
    markdown, count = _MARKDOWN_LINK.subn(" ", markdown)
    if "]:" in markdown:  # or the definitions' line-by-line scan finds nothing
        markdown, definitions = _REFERENCE_DEFINITION.subn(" ", markdown)
        count += definitions
    if _may_hold_bare_link(markdown):
        count += len(_BARE_LINK.findall(markdown))
    return count + len(_EMAIL_AUTOLINK.findall(markdown))


def count_rendered_links(sanitized_html: str) -> int:
    """How many links sanitized HTML holds: its sanitizer escapes every "<" of
    the text, so each "<a " opens a link."""
    return sanitized_html.count("<a ")


def _may_hold_bare_link(markdown: str) -> bool:
    """False only for text in which _BARE_LINK cannot match; a substring test
    costs far less than the regex's scan (~20 µs on a typical comment).

    Each match holds "://", "o:" (mailto:) or "w." (www.), in either case:
    the regex ignores case, and no character but o and O (w and W) matches
    o (w) then; tests/unit/moderation/test_text.py checks both claims.
    """
    return any(hint in markdown for hint in _BARE_LINK_HINTS)


_BARE_LINK_HINTS = ("://", "o:", "O:", "w.", "W.")
