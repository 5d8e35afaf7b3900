"""The data every target is seeded with: deterministic, so runs compare.

One big article with ``THREAD_SIZE`` comments (realistic bodies of varied
length, some Markdown), a few small articles for ``related`` and the counts
endpoint, and one article (``POST_SLUG``) that absorbs the comments the POST
case creates, so that posting and approving never change the big thread.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

THREAD_SIZE = 200
BIG_SLUG = "bench-big-thread"
POST_SLUG = "bench-post-target"
SMALL_SLUGS = [f"bench-small-{i}" for i in range(1, 6)]
AUTHOR_SLUG = "bench-author"

FIRST = [
    "Ada", "Björn", "Chiara", "Dmitri", "Eun-ji", "Farah", "Gustavo", "Hana", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Uma",
    "Viktor", "Wen", "Yusuf", "Zoë",
]  # fmt: skip
LAST = [
    "Okafor", "Lindqvist", "Rossi", "Ivanov", "Kim", "Haddad", "Pereira", "Sato", "García",
    "Becker", "Mensah", "Novak", "Silva", "Petrova", "Adeyemi", "Sharma", "Dubois", "Moreno",
    "Berg", "Ortega", "Nair",
]  # fmt: skip
SENTENCES = [
    "I ran into exactly this last week and your write-up saved me an afternoon.",
    "The part about connection pooling is the bit most tutorials skip.",
    "Have you measured what happens when the cache is cold?",
    "We tried the same approach in production and the p99 dropped by half.",
    "I am not convinced the benchmark is fair to the older version.",
    "This matches what I saw on a two-core VM, although the numbers were noisier.",
    "One small correction: the default timeout is thirty seconds, not sixty.",
    "Thanks for writing this down so clearly.",
    "Could you share the configuration you used for the database?",
    "The diagram in the second section made it click for me.",
    "I would add that the migration should run before the workers start.",
    "Our team hit a deadlock with the same pattern under heavy writes.",
    "Honestly, the simplest version is usually the one that survives.",
    "Does this still hold when the payload is larger than a few kilobytes?",
    "I disagree with the conclusion, but the measurements are solid.",
    "It would be great to see a follow-up on the failure modes.",
    "The trick with the per-article version counter is neat.",
    "We rolled this out gradually and nobody noticed, which is the goal.",
]
MARKDOWN = [
    "*Exactly* this.",
    "The key line is `cursor.execute(query, params)` and nothing more.",
    "See [the release notes](https://example.org/notes/2026) for details.",
    "- first, measure\n- then, change one thing\n- measure again",
    "> Premature optimization is the root of all evil.\n\nBut measuring is not premature.",
    "**Update:** it works with the newer version too.",
    "```\nwrk -t1 -c32 -d10s http://127.0.0.1:8000/\n```",
    "1. install\n2. configure\n3. forget about it",
]
WEBSITES = [None, None, None, "https://example.org/~{slug}", "https://{slug}.example.net"]


@dataclass(frozen=True)
class Comment:
    name: str
    email: str
    website: str | None
    body: str


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 4)))


def _body(rng: random.Random, i: int) -> str:
    """A comment body: one short line up to several paragraphs, some Markdown."""
    size = rng.choices([1, 2, 3, 5], weights=[5, 4, 2, 1])[0]
    parts = [_paragraph(rng) for _ in range(size)]
    if rng.random() < 0.45:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(MARKDOWN))
    if i % 7 == 0:
        parts = [rng.choice(SENTENCES)]  # a few one-liners
    return "\n\n".join(parts)


def thread_comments(n: int = THREAD_SIZE, seed: int = 7) -> list[Comment]:
    """The ``n`` comments of the big thread, identical for every target."""
    rng = random.Random(seed)
    out: list[Comment] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        slug = f"{first}{last}".lower().encode("ascii", "ignore").decode()
        site = rng.choice(WEBSITES)
        out.append(
            Comment(
                name=f"{first} {last}",
                email=f"{slug}.{i}@example.com",
                website=site.format(slug=slug) if site else None,
                body=_body(rng, i),
            )
        )
    return out


ARTICLE_BODY = "\n\n".join(
    [
        "# Why the page is served from memory",
        "This article is benchmark data. " + " ".join(SENTENCES[:6]),
        "- " + "\n- ".join(SENTENCES[6:10]),
        "> " + SENTENCES[10],
        "```python\nasync def handler(request):\n    return cached_bytes\n```",
        " ".join(SENTENCES[11:]),
    ]
)

BIG_TITLE = "Serving a comment thread at the speed of memory"

TAGS = {
    BIG_SLUG: ["performance", "python", "sqlite"],
    POST_SLUG: ["testing"],
    SMALL_SLUGS[0]: ["performance", "python"],
    SMALL_SLUGS[1]: ["sqlite", "databases"],
    SMALL_SLUGS[2]: ["python", "asyncio"],
    SMALL_SLUGS[3]: ["performance"],
    SMALL_SLUGS[4]: ["writing"],
}


def articles() -> dict[str, dict[str, object]]:
    """Article slug → the ``PUT /v1/admin/articles/{slug}`` body."""
    out: dict[str, dict[str, object]] = {}
    for slug, tags in TAGS.items():
        big = slug == BIG_SLUG
        small_body = "A short article.\n\n" + SENTENCES[len(slug) % len(SENTENCES)]
        out[slug] = {
            "title": BIG_TITLE if big else f"Small article {slug}",
            "body_markdown": ARTICLE_BODY if big else small_body,
            "author": AUTHOR_SLUG,
            "tags": tags,
            "status": "published",
            "comments_open": True,
        }
    return out


AUTHOR = {
    "name": "Bench Author",
    "bio": "Writes articles that exist only to be measured.",
    "avatar_url": "https://example.org/avatar.png",
    "website": "https://example.org",
}
