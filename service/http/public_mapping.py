"""Rows to public wire types, field by field: nothing is spread from a row."""

from __future__ import annotations

import msgspec

from service.comments.thread import ThreadPage
from service.http.public_types import (
    ArticleSummary,
    AuthorProfile,
    AuthorRef,
    CommentAuthor,
    CommentList,
    PublicArticle,
    PublicComment,
    RelatedArticle,
)
from service.storage.articles import ArticleRow, ArticleSummaryRow
from service.storage.authors import AuthorRow
from service.storage.comments import PublicCommentRow


def article_summary(row: ArticleSummaryRow) -> ArticleSummary:
    return ArticleSummary(
        slug=row.slug,
        title=row.title,
        excerpt=row.excerpt,
        author=AuthorRef(slug=row.author_slug, name=row.author_name),
        tags=row.tags,
        published_at=row.published_at,
        comment_count=row.comment_count,
    )


def related_article(row: ArticleSummaryRow, score: float) -> RelatedArticle:
    """The summary's own fields (already chosen field by field), plus the score."""
    return RelatedArticle(**msgspec.structs.asdict(article_summary(row)), score=score)


def author_profile(row: AuthorRow) -> AuthorProfile:
    return AuthorProfile(
        slug=row.slug,
        name=row.name,
        bio=row.bio,
        bio_html=row.bio_html,
        avatar_url=row.avatar_url,
        website=row.website,
    )


def public_article(row: ArticleRow, author: AuthorRow) -> PublicArticle:
    assert row.published_at is not None
    return PublicArticle(
        slug=row.slug,
        title=row.title,
        excerpt=row.excerpt,
        body_html=row.body_html,
        author=author_profile(author),
        tags=row.tags,
        published_at=row.published_at,
        updated_at=row.updated_at,
        comments_open=row.comments_open,
        comment_count=row.comment_count,
    )


def public_comment(row: PublicCommentRow, parent_public_id: str | None) -> PublicComment:
    """A shown comment, or a tombstone with no author and no body."""
    shown = row.visibility == "shown"
    author = None
    if shown and row.name is not None and row.avatar_key is not None:
        author = CommentAuthor(name=row.name, website=row.website, avatar_key=row.avatar_key)
    return PublicComment(
        id=row.public_id,
        parent_id=parent_public_id,
        depth=row.depth,
        author=author,
        body_html=row.body_html if shown else None,
        created_at=row.created_at,
        edited_at=row.edited_at,
        removed=not shown,
    )


def comment_list(page: ThreadPage) -> CommentList:
    return CommentList(
        items=[public_comment(row, parent) for row, parent in page.items],
        next_cursor=page.next_cursor,
        total=page.total,
    )
