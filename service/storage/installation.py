"""Per-installation values and counters."""

from __future__ import annotations

import secrets

from service.storage.database import Queryable, Transaction

SECRET_KEY = "secret"  # noqa: S105 (the row name, not the secret)


async def ensure_secret(tx: Transaction) -> bytes:
    """The installation's secret: generated on first start, the same ever after.

    INSERT OR IGNORE makes two workers starting on a fresh file agree on one value.
    """
    await tx.execute(
        "INSERT OR IGNORE INTO installation (key, value) VALUES (:key, :value)",
        {"key": SECRET_KEY, "value": secrets.token_hex(32)},
    )
    row = await tx.fetch_one("SELECT value FROM installation WHERE key = :key", {"key": SECRET_KEY})
    assert row is not None
    return bytes.fromhex(row["value"])


async def bump_content_version(tx: Transaction) -> None:
    """Anything that changes a public listing calls this in its transaction."""
    await tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'content_version'")


async def content_version(q: Queryable) -> int:
    row = await q.fetch_one("SELECT value FROM counters WHERE name = 'content_version'")
    return int(row["value"]) if row else 0
