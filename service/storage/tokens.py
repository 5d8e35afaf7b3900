"""SQL for API tokens. Only the SHA-256 of a token is ever stored."""

from __future__ import annotations

from dataclasses import dataclass

from service.storage.database import Queryable, Transaction


@dataclass(frozen=True, slots=True)
class TokenRow:
    name: str
    role: str
    token_hash: str
    created_at: str
    revoked_at: str | None


_COLUMNS = "name, role, token_hash, created_at, revoked_at"


async def insert_token(tx: Transaction, *, name: str, role: str, token_hash: str, now: str) -> None:
    await tx.execute(
        "INSERT INTO api_tokens (name, role, token_hash, created_at) "
        "VALUES (:name, :role, :token_hash, :now)",
        {"name": name, "role": role, "token_hash": token_hash, "now": now},
    )


async def find_live_token(q: Queryable, token_hash: str) -> TokenRow | None:
    row = await q.fetch_one(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = :hash AND revoked_at IS NULL",
        {"hash": token_hash},
    )
    return TokenRow(*row) if row else None


async def list_tokens(q: Queryable) -> list[TokenRow]:
    rows = await q.fetch_all(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY created_at, id")
    return [TokenRow(*row) for row in rows]


async def revoke_token(tx: Transaction, *, name: str, now: str) -> bool:
    changed = await tx.execute(
        "UPDATE api_tokens SET revoked_at = :now WHERE name = :name AND revoked_at IS NULL",
        {"name": name, "now": now},
    )
    return changed > 0
