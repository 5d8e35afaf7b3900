"""Bearer-token guards: 401 without valid credentials, 403 without the role."""

from __future__ import annotations

import logging
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from service.auth import Role, authenticate, grants
from service.errors import Forbidden, Unauthorized

log = logging.getLogger("byline.auth")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if that is what it is."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def require_role(role: Role) -> Guard:
    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        token = bearer_token(connection.headers.get("authorization"))
        if token is None:
            log.info("authentication failed: no bearer token (%s)", connection.url.path)
            raise Unauthorized("a bearer token is required")
        record = await authenticate(connection.app.state.services.db, token)
        if record is None:
            # Never log the token itself.
            log.warning("authentication failed: unknown or revoked token (%s)", connection.url.path)
            raise Unauthorized("the token is not valid")
        if not grants(record.role, role):
            raise Forbidden(f"this token's role may not do this (needs {role.value})")
        connection.scope.setdefault("state", {})["actor"] = record.name

    return guard


def actor(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return str(connection.scope.get("state", {}).get("actor", "unknown"))
