"""Markdown to sanitized HTML, and plain-text excerpts."""

from __future__ import annotations

from collections.abc import Callable

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.content import rendering
from service.content.rendering import (
    COMMENT_CLEANER,
    _comment_parser,
    _is_plain_prose,
    _sanitize,
    derive_excerpt,
    plain_text,
    render_article,
    render_bio,
    render_comment,
)


def test_article_markdown() -> None:
    html = render_article(
        "## Why\n\nIt *hurts* **a lot**, ~~or not~~.\n\n"
        "- one\n- two\n\n> quoted\n\n`code`\n\n```\nblock\n```\n\n"
        '| a | b |\n| - | - |\n| 1 | 2 |\n\n---\n\n[link](https://example.com "t")'
    )
    assert html == (
        "<h2>Why</h2>\n"
        "<p>It <em>hurts</em> <strong>a lot</strong>, <s>or not</s>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
        "<p><code>code</code></p>\n"
        "<pre><code>block\n</code></pre>\n"
        "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"
        "<hr>\n"
        '<p><a href="https://example.com" title="t" rel="noopener">link</a></p>'
    )


@pytest.mark.parametrize("render", [render_article, render_bio, render_comment])
@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("<b onclick=x>hi</b>", "<p>&lt;b onclick=x&gt;hi&lt;/b&gt;</p>"),
        ("<!-- note -->", "<p>&lt;!-- note --&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>"),
        (
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<p>[x](data:text/html;base64,PHNjcmlwdD4=)</p>",
        ),
        ("[x](vbscript:msgbox)", "<p>[x](vbscript:msgbox)</p>"),
        ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"),
    ],
)
def test_html_is_text_and_dangerous_links_are_not_links(
    render: Callable[[str], str], markdown: str, expected: str
) -> None:
    assert render(markdown) == expected


def test_the_sanitizer_is_a_second_wall() -> None:
    """Even if the parser let HTML through, nh3 would drop what is not allowed."""
    from service.content import rendering

    dirty = (
        '<p onclick="x">a<script>alert(1)</script><a href="javascript:alert(1)">b</a>'
        '<img src="x" onerror="alert(1)"><iframe src="https://e.com"></iframe></p>'
    )
    clean = rendering._sanitize(dirty, rendering.ARTICLE_CLEANER)
    assert clean == '<p>a<a rel="noopener">b</a><img src="x"></p>'


def test_comments_get_a_lighter_dialect() -> None:
    html = render_comment("# Big\n\n![img](https://e.com/i.png)\n\n[l](https://e.com)")
    assert "<h1" not in html and "<img" not in html
    assert '<a href="https://e.com" rel="nofollow ugc noopener">l</a>' in html


def test_bios_links_are_not_nofollow() -> None:
    assert (
        render_bio("[me](https://e.com)") == '<p><a href="https://e.com" rel="noopener">me</a></p>'
    )


def test_mailto_links_are_kept() -> None:
    assert 'href="mailto:a@example.com"' in render_article("[mail](mailto:a@example.com)")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Some <em>text</em>.</p>", "Some text."),
        ("<h2>Why</h2>\n<p>It hurts.</p>", "Why It hurts."),
        ("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "a b"),
        ("<p>a<br>\nb</p>", "a b"),
        ('<p>x <a href="https://e.com">y</a>z</p>', "x yz"),
        ("<p>AT&amp;T &lt;3</p>", "AT&T <3"),
        ("<p>a</p><p>b</p>", "a b"),
    ],
)
def test_plain_text(html: str, text: str) -> None:
    assert plain_text(html) == text


def test_a_short_excerpt_is_the_whole_text() -> None:
    assert derive_excerpt("<p>Short <strong>one</strong>.</p>") == "Short one."


def test_a_long_excerpt_is_cut_at_a_word_with_an_ellipsis() -> None:
    words = " ".join(f"word{i}" for i in range(100))
    excerpt = derive_excerpt(f"<p>{words}</p>", max_length=50)
    assert excerpt.endswith("…")
    assert len(excerpt) <= 50
    assert words.startswith(excerpt[:-1])
    assert excerpt[:-1].split(" ")[-1] in words.split(" ")  # no half words


def test_an_excerpt_does_not_end_in_punctuation_before_the_ellipsis() -> None:
    text = "a" * 20 + ", " + "b" * 40
    assert derive_excerpt(f"<p>{text}</p>", max_length=30) == "a" * 20 + "…"


@pytest.mark.parametrize("render", [render_article, render_comment])
def test_strikethrough_survives_sanitizing(render: Callable[[str], str]) -> None:
    assert render("~~gone~~") == "<p><s>gone</s></p>"


# Characters plain prose is made of, plus the ones near its edges: Markdown
# marks, line starts, Unicode spaces and separators, quotes.
_PROSE_ALPHABET = st.sampled_from(
    [*"abc XYZ019.,;:!?'\"()/@$%^{}-+=#", "\n", "\n\n", "  ", "\t", "\u00a0", "\u2028",
    "\u3000", "\x85", "é", "日本", "🙂", "&", "*", "_", "`", "<", ">", "[", "]", "~", "|", "\\",
    "1.", "2)", "---", "==", "#"]
)  # fmt: skip


def _parsed_and_sanitized(markdown: str) -> str:
    """The path every text took before plain prose had its own."""
    rendered = _comment_parser.render(markdown)
    return _sanitize(rendered, COMMENT_CLEANER)


@given(st.lists(_PROSE_ALPHABET, max_size=40).map("".join))
@settings(max_examples=3000, deadline=None)
def test_plain_prose_renders_as_the_parser_and_sanitizer_render_it(markdown: str) -> None:
    if _is_plain_prose(markdown):
        assert render_comment(markdown) == _parsed_and_sanitized(markdown)


@given(st.text(max_size=60))
@settings(max_examples=2000, deadline=None)
def test_any_accepted_text_renders_as_the_full_path_renders_it(markdown: str) -> None:
    # All of Unicode, lone surrogates included: what the alphabet above misses.
    if _is_plain_prose(markdown):
        assert render_comment(markdown) == _parsed_and_sanitized(markdown)


@pytest.mark.parametrize(
    "markdown",
    [
        "Thanks, this helped.",
        'She said "try it" and it worked!\nSecond line.\n\n\nNew paragraph (really).',
        "Question: does 3.5 work with 2 workers? 100% yes",
        "\nleading and trailing blank lines\n",
        "no\u00a0break space, \u201ccurly\u201d quotes and 'single' ones",
    ],
)
def test_everyday_comments_take_the_plain_prose_path(markdown: str) -> None:
    assert _is_plain_prose(markdown)
    assert render_comment(markdown) == _parsed_and_sanitized(markdown)


@pytest.mark.parametrize(
    "markdown",
    ["*em*", "a  \nb", "    code", "1. item", "- item", "> quote", "a\tb", "x &amp; y", "# h"],
)
def test_anything_markdown_reacts_to_goes_to_the_parser(markdown: str) -> None:
    assert not _is_plain_prose(markdown)


# Tags, attributes and schemes the allow-lists name or leave out, for markup soup.
_HTML_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<a href=\"https://e.org/x\" title=\"t\">", "<a href='javascript:x'>",
        "<a href=\"mailto:a@b.c\">", "</a>", "<img src=\"x\" alt=\"a\" onerror=\"y\">",
        "<script>", "</script>", "<h2>", "<table><tr><td>", "<ol start=\"3\">", "<li>",
        "<!-- c -->", "<em>", "<s>", "<iframe src=x>", "&amp;", "&nbsp;", "<", ">", "\"", "'",
        "text", " ", "\n", "\u00a0", "é",
    ]
)  # fmt: skip


@pytest.mark.parametrize(
    ("cleaner", "tags", "link_rel"),
    [
        (rendering.ARTICLE_CLEANER, rendering._ARTICLE_TAGS, "noopener"),
        (rendering.BIO_CLEANER, rendering._COMMENT_TAGS, "noopener"),
        (rendering.COMMENT_CLEANER, rendering._COMMENT_TAGS, "nofollow ugc noopener"),
    ],
)
@given(st.lists(_HTML_PIECES, max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_prebuilt_cleaners_sanitize_as_their_allow_lists_say(
    cleaner: nh3.Cleaner, tags: set[str], link_rel: str, html: str
) -> None:
    expected = nh3.clean(
        html,
        tags=tags,
        attributes=rendering._ATTRIBUTES,
        url_schemes=rendering._URL_SCHEMES,
        link_rel=link_rel,
        strip_comments=True,
    )
    assert cleaner.clean(html) == expected
