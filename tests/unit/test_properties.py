"""Property tests: the comment renderer and the text cleaners, on arbitrary input."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.content.rendering import render_comment
from service.fields import clean_line, clean_text

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
}
ALLOWED_ATTRS = {"a": {"href", "title", "rel"}, "ol": {"start"}}

# Text biased towards the characters that build markup and URL schemes.
markupish = st.lists(
    st.one_of(
        st.sampled_from(list("<>\"'&=:/()[]!`*_#;\\ \n\t")),
        st.sampled_from(["javascript", "data", "vbscript", "script", "onerror", "svg", "&#"]),
        st.characters(),
    ),
    max_size=80,
).map("".join)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


@FAST
@given(markupish)
def test_render_comment_never_outputs_executable_markup(text: str) -> None:
    rendered = render_comment(text)
    parser = _Tags()
    parser.feed(rendered)
    parser.close()
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, (text, rendered)
        for name, value in attrs:
            assert name in ALLOWED_ATTRS.get(tag, set()), (text, rendered)
            if name == "href" and value is not None:
                squashed = re.sub(r"[\x00-\x20]+", "", value).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", squashed)
                assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), rendered
    assert "<script" not in rendered.lower() and "<!--" not in rendered


def _controls(text: str, allowed: str = "") -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed]


@FAST
@given(st.text(max_size=120), st.integers(min_value=1, max_value=100))
def test_clean_line(value: str, max_length: int) -> None:
    try:
        cleaned = clean_line(value, max_length=max_length)
    except ValueError:
        return
    assert _controls(cleaned) == []
    assert 1 <= len(cleaned) <= max_length
    assert clean_line(cleaned, max_length=max_length) == cleaned


@FAST
@given(st.text(max_size=120), st.integers(min_value=1, max_value=100))
def test_clean_name_refuses_bidi(value: str, max_length: int) -> None:
    try:
        cleaned = clean_line(value, max_length=max_length, name_rules=True)
    except ValueError:
        return
    assert not set(cleaned) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert clean_line(cleaned, max_length=max_length, name_rules=True) == cleaned


@FAST
@given(st.text(max_size=200), st.integers(min_value=1, max_value=150))
def test_clean_text(value: str, max_length: int) -> None:
    try:
        cleaned = clean_text(value, max_length=max_length)
    except ValueError:
        return
    assert _controls(cleaned, "\n\t") == []
    assert "\r" not in cleaned
    assert 1 <= len(cleaned) <= max_length
    assert clean_text(cleaned, max_length=max_length) == cleaned
