"""`byline import PATH`: Markdown files with YAML front matter become content.

Every `*.md` under PATH is an article, except those under PATH/authors/, which
are authors. Every file is parsed and checked before anything is written, and the
whole import is one transaction: a bad file is reported by name and line, and
nothing of that run is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from service.content import articles, authors, related
from service.errors import InvalidInput
from service.fields import clean_slug
from service.storage.database import Database, Transaction
from service.validation import collect

FENCE = "---"
BODY = "\0body"  # where the body starts, among the key lines


class ImportFailed(Exception):
    pass


class _FrontMatterLoader(yaml.SafeLoader):
    """safe_load's loader, except that a date the calendar does not have
    (2026-02-30, the year 0) is a YAML error at its line, not a ValueError."""

    def construct_checked_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date ({exc})", node.start_mark
            ) from None


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_checked_timestamp
)


@dataclass(frozen=True)
class ImportReport:
    authors: int
    articles: int


@dataclass(frozen=True)
class Parsed:
    path: Path
    slug: str
    data: dict[str, Any]
    lines: dict[str, int]  # front matter key -> line in the file, for error messages

    def where(self, field: str) -> str:
        return f"{self.path}:{self.lines.get(field, 1)}"


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str, dict[str, int]]:
    """(front matter, body, the line of each top-level key and of the BODY)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise ImportFailed(f"{path}:1: the file must start with a '---' front matter block")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        raise ImportFailed(f"{path}:1: the front matter block has no closing '---'") from None
    try:
        # S506 is about loaders that build any object: this one is a SafeLoader
        # whose only change is how it builds dates.
        front = yaml.load("\n".join(lines[1:end]), Loader=_FrontMatterLoader) or {}  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None)
        why = f" ({problem})" if problem else ""
        raise ImportFailed(f"{path}:{line}: front matter is not valid YAML{why}") from None
    if not isinstance(front, dict):
        raise ImportFailed(f"{path}:2: front matter must be a mapping of keys to values")
    key_lines: dict[str, int] = {}
    for number, line in enumerate(lines[1:end], start=2):
        key, colon, _ = line.partition(":")
        name = key.strip().strip("'\"")
        if colon and name and not key[0].isspace() and name not in key_lines:
            key_lines[name] = number
    key_lines[BODY] = end + 2
    return front, "\n".join(lines[end + 1 :]), key_lines


def _plain(value: Any) -> Any:
    """YAML turns unquoted dates into date objects; the API takes RFC 3339 text."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.isoformat()
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    return value


def parse_file(path: Path, *, is_author: bool) -> Parsed:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path}:1: cannot read the file ({exc.__class__.__name__})") from None
    front, body, lines = split_front_matter(path, text)
    raw = {str(key): _plain(value) for key, value in front.items()}
    slug = str(raw.pop("slug", path.stem))
    body_field = "bio" if is_author else "body_markdown"
    raw[body_field] = body.strip()
    lines.setdefault(body_field, lines[BODY])
    spec = authors.AUTHOR_SPEC if is_author else articles.ARTICLE_SPEC
    # `date` is what most static site generators call it.
    if not is_author and "date" in raw and "published_at" not in raw:
        raw["published_at"] = raw.pop("date")
        lines["published_at"] = lines.get("date", 1)
    try:
        slug = clean_slug(slug)
    except ValueError as exc:
        raise ImportFailed(f"{path}:{lines.get('slug', 1)}: slug {exc}") from None
    try:
        data = collect(raw, spec)
    except InvalidInput as exc:
        first = exc.errors[0]
        problems = "; ".join(f"{e.field} {e.message}" for e in exc.errors)
        raise ImportFailed(f"{path}:{lines.get(first.field, 1)}: {problems}") from None
    return Parsed(path, slug, data, lines)


def collect_files(root: Path) -> tuple[list[Parsed], list[Parsed]]:
    if not root.is_dir():
        raise ImportFailed(f"{root}: not a folder")
    author_dir = root / "authors"
    author_files = sorted(author_dir.rglob("*.md")) if author_dir.is_dir() else []
    article_files = sorted(p for p in root.rglob("*.md") if author_dir not in p.parents)
    author_items = _unique([parse_file(p, is_author=True) for p in author_files])
    article_items = _unique([parse_file(p, is_author=False) for p in article_files])
    return author_items, article_items


def _unique(items: list[Parsed]) -> list[Parsed]:
    """Two files with one slug would silently overwrite each other."""
    seen: dict[str, Parsed] = {}
    for item in items:
        if item.slug in seen:
            raise ImportFailed(
                f"{item.where('slug')}: slug {item.slug!r} is also used by {seen[item.slug].path}"
            )
        seen[item.slug] = item
    return items


# Past this many articles one full rebuild of related lists beats updating them
# article by article.
BULK_IMPORT = 50


async def import_folder(db: Database, path: str) -> ImportReport:
    author_items, article_items = collect_files(Path(path))
    bulk = len(article_items) > BULK_IMPORT

    async def store_all(tx: Transaction) -> None:
        for item in author_items:
            await authors.save_author_in(tx, item.slug, item.data)
        for item in article_items:
            try:
                await articles.save_article_in(
                    tx, item.slug, item.data, on_change=None if bulk else related.article_changed
                )
            except InvalidInput as exc:
                problems = "; ".join(f"{e.field} {e.message}" for e in exc.errors)
                raise ImportFailed(f"{item.where(exc.errors[0].field)}: {problems}") from None

    await db.write(store_all)
    if bulk:
        await related.rebuild(db)
    return ImportReport(authors=len(author_items), articles=len(article_items))
