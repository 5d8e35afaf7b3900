"""Keeping related-article lists in step with publishing.

Placeholder wiring point: the related-articles engine replaces these with real
incremental updates. Until then lists are left as they are.
"""

from __future__ import annotations

from service.storage.database import Transaction


async def article_changed(tx: Transaction, article_id: int) -> None:
    return None


async def article_deleted(tx: Transaction, article_id: int) -> None:
    return None


async def rebuild_all(db: object) -> int:
    return 0
