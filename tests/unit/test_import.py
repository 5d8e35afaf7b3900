"""Reading an import folder: front matter, defaults, and errors that name file and line.

Writing (one transaction, nothing stored on failure) is tested through the
command in tests/api/test_cli.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.content.importer import ImportFailed, collect_files, parse_file


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_article_with_every_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "knee.md",
        "---\n"
        "title: Knee pain\n"
        "slug: knee-pain\n"
        "author: ada\n"
        "tags: [Knee, running]\n"
        "status: draft\n"
        "published_at: 2026-05-11T13:30:00+02:00\n"
        "comments_open: false\n"
        "excerpt: Short.\n"
        "---\n"
        "\n"
        "Front of the *knee*.\n",
    )

    parsed = parse_file(path, is_author=False)

    assert parsed.slug == "knee-pain"
    assert parsed.data == {
        "title": "Knee pain",
        "body_markdown": "Front of the *knee*.",
        "author": "ada",
        "tags": ["knee", "running"],
        "status": "draft",
        "published_at": "2026-05-11T11:30:00Z",
        "comments_open": False,
        "excerpt": "Short.",
    }


def test_article_defaults(tmp_path: Path) -> None:
    parsed = parse_file(
        write(tmp_path, "plain.md", "---\ntitle: T\nauthor: ada\n---\nB"), is_author=False
    )
    assert parsed.slug == "plain"
    assert parsed.data["status"] == "published"
    assert parsed.data["comments_open"] is True
    assert parsed.data["tags"] == []
    assert parsed.data["published_at"] is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("date: 2026-03-04", "2026-03-04T00:00:00Z"),
        ("date: 2026-03-04T05:06:07", "2026-03-04T05:06:07Z"),
        ("published_at: '2026-03-04T05:06:07Z'", "2026-03-04T05:06:07Z"),
    ],
)
def test_dates_from_yaml(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, "a.md", f"---\ntitle: T\nauthor: ada\n{line}\n---\nB")
    assert parse_file(path, is_author=False).data["published_at"] == expected


def test_an_author_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "authors/maya.md",
        "---\nname: Maya\nwebsite: https://example.com/maya\n---\nPhysio.\r\n\r\nRunner.\n",
    )
    parsed = parse_file(path, is_author=True)
    assert parsed.slug == "maya"
    assert parsed.data == {
        "name": "Maya",
        "bio": "Physio.\n\nRunner.",
        "avatar_url": None,
        "website": "https://example.com/maya",
    }


def test_authors_are_the_files_under_authors(tmp_path: Path) -> None:
    write(tmp_path, "authors/ada.md", "---\nname: Ada\n---\n")
    write(tmp_path, "one.md", "---\ntitle: One\nauthor: ada\n---\n1")
    write(tmp_path, "deep/two.md", "---\ntitle: Two\nauthor: ada\n---\n2")
    write(tmp_path, "notes.txt", "not an article")

    authors, articles = collect_files(tmp_path)

    assert [a.slug for a in authors] == ["ada"]
    assert sorted(a.slug for a in articles) == ["one", "two"]


def failure(tmp_path: Path, name: str, text: str, *, is_author: bool = False) -> str:
    path = write(tmp_path, name, text)
    with pytest.raises(ImportFailed) as caught:
        parse_file(path, is_author=is_author)
    return str(caught.value)


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    message = failure(tmp_path, "bad.md", "---\ntitle: T\ntags: [a, b\nauthor: ada\n---\nB")
    assert message.startswith(f"{tmp_path / 'bad.md'}:4: front matter is not valid YAML")


def test_a_missing_title_is_reported(tmp_path: Path) -> None:
    message = failure(tmp_path, "untitled.md", "---\nauthor: ada\n---\nB")
    assert message == f"{tmp_path / 'untitled.md'}:1: title is required"


def test_the_line_of_a_bad_field_is_reported(tmp_path: Path) -> None:
    text = "---\ntitle: T\nauthor: ada\nstatus: live\ncolour: red\n---\nB"
    message = failure(tmp_path, "a.md", text)
    assert message == (
        f"{tmp_path / 'a.md'}:5: colour is not a known field; status must be draft or published"
    )


def test_a_bad_body_is_reported_at_the_body(tmp_path: Path) -> None:
    message = failure(tmp_path, "a.md", "---\ntitle: T\nauthor: ada\n---\nbell \x07 here")
    assert message == f"{tmp_path / 'a.md'}:5: body_markdown must not contain control characters"


def test_a_bad_slug_is_reported(tmp_path: Path) -> None:
    assert failure(tmp_path, "a.md", "---\ntitle: T\nslug: Not Good\n---\nB").startswith(
        f"{tmp_path / 'a.md'}:3: slug must be lowercase"
    )
    assert failure(tmp_path, "Bad Name.md", "---\ntitle: T\n---\nB").startswith(
        f"{tmp_path / 'Bad Name.md'}:1: slug must be lowercase"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title: T\n", "1: the file must start with a '---' front matter block"),
        ("", "1: the file must start with a '---' front matter block"),
        ("---\ntitle: T\n", "1: the front matter block has no closing '---'"),
        ("---\n- a\n- b\n---\n", "2: front matter must be a mapping of keys to values"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, problem: str) -> None:
    assert failure(tmp_path, "a.md", text) == f"{tmp_path / 'a.md'}:{problem}"


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes(b"---\ntitle: caf\xe9\n---\n")
    with pytest.raises(ImportFailed, match=r"latin\.md:1: cannot read the file"):
        parse_file(path, is_author=False)


def test_two_files_with_one_slug_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\nauthor: ada\n---\n1")
    write(tmp_path, "b.md", "---\ntitle: B\nauthor: ada\nslug: a\n---\n2")
    with pytest.raises(ImportFailed, match=r"b\.md:4: slug 'a' is also used by .*a\.md"):
        collect_files(tmp_path)


def test_a_path_that_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="not a folder"):
        collect_files(tmp_path / "missing")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "date: 2026-02-30",
            "front matter is not valid YAML "
            "('2026-02-30' is not a date (day is out of range for month))",
        ),
        (
            "date: 0000-01-01",
            "front matter is not valid YAML ('0000-01-01' is not a date (year 0 is out of range))",
        ),
        (
            "published_at: 0001-01-01T00:00:00+01:00",
            "published_at must be an RFC 3339 time such as 2026-11-26T15:04:05Z",
        ),
    ],
)
def test_a_date_the_calendar_does_not_have_names_the_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    message = failure(tmp_path, "a.md", f"---\ntitle: T\nauthor: ada\n{line}\n---\nB")
    assert message == f"{tmp_path / 'a.md'}:4: {problem}"
