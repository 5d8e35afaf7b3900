"""A stand-in for Byline's page when Byline cannot run: same shape, same comments.

The ceilings serve bytes captured from Byline. Without Byline they serve this
instead (the results say which), so the harness can still be exercised.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

from bench import dataset

STAMP = "2026-11-26T12:00:00Z"
PAGE_LIMIT = 100


def _html(markdown: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in markdown.split("\n\n"))


def _comment(i: int, c: dataset.Comment) -> dict[str, Any]:
    key = hashlib.blake2b(c.email.encode(), key=b"synthetic", digest_size=16).hexdigest()
    return {
        "id": f"c{i:06d}",
        "parent_id": None,
        "depth": 0,
        "author": {"name": c.name, "website": c.website, "avatar_key": key},
        "body_html": _html(c.body),
        "created_at": STAMP,
        "edited_at": None,
    }


def comments_page() -> dict[str, Any]:
    items = [_comment(i, c) for i, c in enumerate(dataset.thread_comments()[:PAGE_LIMIT])]
    return {"items": items, "next_cursor": "synthetic-cursor", "total": dataset.THREAD_SIZE}


def article_page() -> dict[str, Any]:
    article = dataset.articles()[dataset.BIG_SLUG]
    author = {"slug": dataset.AUTHOR_SLUG, **dataset.AUTHOR}
    related = [
        {"slug": s, "title": f"Small article {s}", "excerpt": "A short article.",
         "author": {"slug": dataset.AUTHOR_SLUG, "name": dataset.AUTHOR["name"]},
         "tags": dataset.TAGS[s], "published_at": STAMP, "comment_count": 3, "score": 0.5}
        for s in dataset.SMALL_SLUGS[:3]
    ]  # fmt: skip
    return {
        "slug": dataset.BIG_SLUG,
        "title": article["title"],
        "excerpt": "This article is benchmark data.",
        "body_html": _html(str(article["body_markdown"])),
        "author": author,
        "tags": article["tags"],
        "published_at": STAMP,
        "updated_at": STAMP,
        "comments_open": True,
        "comment_count": dataset.THREAD_SIZE,
        "related": {"items": related},
        "comments": comments_page(),
    }


def write(page_file: Path, list_file: Path) -> None:
    page_file.parent.mkdir(parents=True, exist_ok=True)
    page_file.write_text(json.dumps(article_page(), separators=(",", ":")))
    list_file.write_text(json.dumps(comments_page(), separators=(",", ":")))
