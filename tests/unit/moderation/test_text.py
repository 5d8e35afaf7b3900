"""Text normalization, term matching and link counting used by the rules."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.text import (
    _BARE_LINK,
    _may_hold_bare_link,
    count_links,
    find_terms,
    normalize_for_matching,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("Hello", "hello"),
        ("ＣＡＳＩＮＯ", "casino"),  # full-width letters
        ("  buy \t\n now  ", "buy now"),
        ("buy\u00a0now", "buy now"),  # no-break space
        ("ca\u200bsi\u00adno", "casino"),  # zero-width space, soft hyphen
        ("\ufeffcasino\u2060", "casino"),  # BOM, word joiner
        ("ca\u034fsi\ufe0fno", "casino"),  # grapheme joiner, variation selector
        ("ca\u3164si\U000e0100no", "casino"),  # Hangul filler, supplementary selector
        ("ca\u2065si\U000e0300no", "casino"),  # unassigned, in blocks kept for invisibles
        ("sex\U0001fae8shop", "sex\U0001fae8shop"),  # a newer emoji is drawn: it stays
        ("cafe\u0301", "café"),  # a combining accent is drawn: it stays
        ("STRAßE", "strasse"),
        ("\ufb01ne", "fine"),  # the "fi" ligature
        ("Ⅻ ①", "xii 1"),
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),
    ],
)
def test_normalize_for_matching(text: str, expected: str) -> None:
    assert normalize_for_matching(text) == expected


@given(st.text())
def test_normalizing_twice_changes_nothing(text: str) -> None:
    once = normalize_for_matching(text)
    assert normalize_for_matching(once) == once


@pytest.mark.parametrize(
    ("text", "terms", "found"),
    [
        ("Best CASINO in town", ("casino",), ["casino"]),
        ("best casino", ("CaSiNo",), ["casino"]),
        ("ＣＡＳＩＮＯ night", ("casino",), ["casino"]),
        ("the casino.", ("casino",), ["casino"]),
        ("casinos", ("casino",), []),
        ("occasional", ("casino",), []),
        ("foo_casino", ("casino",), []),  # underscore is a word character
        ("first class", ("ass",), []),
        ("kick ass", ("ass",), ["ass"]),
        ("лучшее КАЗИНО", ("казино",), ["казино"]),
        ("call 5551234 now", ("5551234",), ["5551234"]),
        ("BUY   NOW!", ("buy now",), ["buy now"]),
        ("buynow", ("buy now",), []),
        ("x@MAILINATOR.com", ("@mailinator.com",), ["@mailinator.com"]),
        ("spam.example.ru/x", ("example.ru",), ["example.ru"]),
        ("myexample.ru", ("example.ru",), ["example.ru"]),  # punctuation: anywhere
        ("a b", ("b", "a", "B", " a "), ["b", "a"]),  # config order, no repeats
        ("anything", ("", "   ", "\u200b"), []),  # empty terms never match
        ("anything", (), []),
        ("", ("casino",), []),
    ],
)
def test_find_terms(text: str, terms: tuple[str, ...], found: list[str]) -> None:
    assert find_terms(text, terms) == found


@pytest.mark.parametrize(
    ("body", "links"),
    [
        ("", 0),
        ("no links here", 0),
        ("example.com is not linked", 0),
        ("ftp://a.example", 0),
        ("http:// alone", 0),
        ("awww. so cute", 0),
        ("wwwexample", 0),
        ("see https://a.example", 1),
        ("HTTPS://A.EXAMPLE", 1),
        ("see (https://a.example).", 1),
        ("<https://a.example>", 1),
        ("https://www.a.example", 1),
        ("www.example.com/path?q=1", 1),
        ("mailto:x@example.com", 1),
        ("MAILTO:x@example.com", 1),
        ("<someone@example.com>", 1),
        ("[mail](mailto:x@example.com)", 1),
        ("[site](/relative/path)", 1),
        ('[site](https://a.example "title")', 1),
        ("[site](<https://a.example/with space>)", 1),
        ("![image](https://a.example/i.png)", 1),
        ("[https://a.example](https://a.example)", 1),
        ("[wiki](https://en.wikipedia.org/wiki/Foo_(bar))", 1),
        ("[empty]() links nowhere", 0),
        ("[ref][1]\n\n[1]: https://a.example", 1),
        ("`https://a.example` in code still counts", 1),
        ("http://a.example http://a.example", 2),
        ("https://a.example and www.b.example", 2),
        ("[a](https://a.example) then https://a.example", 2),
        ("[a](https://a.example) [b](https://b.example) [c](/c)", 3),
        ("[relative](/wiki/Foo_(bar))", 1),
        ("[titled](/a 'single') [titled](/b (parens))", 2),
        # Hostile shapes that once made the Markdown pattern backtrack badly.
        pytest.param("[a](" + "x" * 50_000, 0, id="unclosed-destination"),
        pytest.param("[a](x" + " " * 50_000, 0, id="unclosed-after-space"),
        pytest.param("[a](" + "(x" * 25_000, 0, id="unclosed-parens"),
    ],
)
def test_count_links(body: str, links: int) -> None:
    assert count_links(body) == links


def test_bare_link_hints_rest_on_o_and_w_having_no_other_case_forms() -> None:
    # The regex ignores case with Unicode rules, under which "ſ" matches "s"
    # and "K" (Kelvin) matches "k"; the hints need "o" and "w" to have no such
    # look-alikes, so that a "mailto:" or "www." match always holds "o:"/"O:"
    # or "w."/"W.".
    for letter in "ow":
        pattern = re.compile(letter, re.IGNORECASE)
        matching = {chr(c) for c in range(0x110000) if pattern.fullmatch(chr(c))}
        assert matching == {letter, letter.upper()}


# Every link start in every case, with the Unicode letters the regex takes for
# s and i, amid text.
_LOOK_ALIKES = {"s": "sSſ", "i": "iIıİ"}
_LINK_STARTS = sorted(
    "".join(letters)
    for start in ("mailto:", "http://", "https://", "www.x")
    for letters in itertools.product(*(_LOOK_ALIKES.get(c, c + c.upper()) for c in start))
)
_LINKISH = st.lists(st.sampled_from([*_LINK_STARTS, *" x.:/@\n", "é", "K", "ab"]), max_size=8).map(
    "".join
)


@given(_LINKISH)
@settings(max_examples=3000, deadline=None)
def test_a_bare_link_is_never_skipped_by_the_hints(text: str) -> None:
    if _BARE_LINK.search(text):
        assert _may_hold_bare_link(text)
