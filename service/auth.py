"""API tokens and roles.

A token is 256 random bits from `secrets`, shown once; only its SHA-256 is stored.
Looking a token up by its hash reveals nothing useful through timing, and the
stored hash is still compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from service.clock import now_text
from service.errors import Conflict, FieldError, InvalidInput, NotFound
from service.storage import tokens as store
from service.storage.database import Database, Queryable, Transaction

TOKEN_PREFIX = "byl_"  # noqa: S105 (a prefix, not a secret)


class Role(StrEnum):
    MODERATOR = "moderator"
    EDITOR = "editor"
    ADMIN = "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grants(held: str, needed: Role) -> bool:
    return held == Role.ADMIN or held == needed


# Names are printed one per line, tab-separated, by `byline tokens list`, and logged.
TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_NAME_RULE = "1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"


async def create_token(db: Database, name: str, role: Role) -> str:
    if not TOKEN_NAME.fullmatch(name):
        raise InvalidInput([FieldError("name", _NAME_RULE)], detail=f"a token name is {_NAME_RULE}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    async def add(tx: Transaction) -> None:
        if any(t.name == name and t.revoked_at is None for t in await store.list_tokens(tx)):
            raise Conflict(f"a live token named {name!r} exists; revoke it first")
        await store.insert_token(
            tx, name=name, role=role.value, token_hash=hash_token(token), now=now_text()
        )

    await db.write(add)
    return token


def digest_of(token: str) -> str | None:
    """The stored form of a token, or None for text that cannot be one."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return hash_token(token)


async def live_token(q: Queryable, digest: str) -> store.TokenRow | None:
    row = await store.find_live_token(q, digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


async def authenticate(db: Database, token: str) -> store.TokenRow | None:
    digest = digest_of(token)
    return None if digest is None else await live_token(db, digest)


class TokenRefused(Exception):
    """A token checked inside a write was not live, or its role may not do the write."""


class CheckInWrite:
    """A token's check made as the first step of a write, not before it.

    A token that has already passed the guard can skip the separate read: the
    write's own transaction reads it (its pages are already cached there) and
    refuses with TokenRefused before writing anything if the token has been
    revoked meanwhile. `confirmed` tells the caller whether the check passed, so
    it knows which errors came after the token was good again.
    """

    def __init__(self, digest: str, needed: Role) -> None:
        self._digest = digest
        self._needed = needed
        self.confirmed = False

    async def holder(self, tx: Transaction) -> str:
        """The holder's name, or TokenRefused."""
        record = await live_token(tx, self._digest)
        if record is None or not grants(record.role, self._needed):
            raise TokenRefused()
        self.confirmed = True
        return record.name


async def revoke_token(db: Database, name: str) -> None:
    async def revoke(tx: Transaction) -> None:
        if not await store.revoke_token(tx, name=name, now=now_text()):
            raise NotFound(f"no live token named {name!r}")

    await db.write(revoke)


async def list_tokens(db: Database) -> list[store.TokenRow]:
    return await store.list_tokens(db)
