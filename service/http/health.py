"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from service.http.problems import problem
from service.services import services


@get("/healthz", include_in_schema=True, tags=["operations"], summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", tags=["operations"], summary="The database answers")
async def readyz(request: Request[Any, Any, Any]) -> Response[Any]:
    try:
        await services(request).db.ping()
    except Exception:  # any failure means "not ready", and is reported as such
        return problem(
            503, "the database is not reachable", headers={"Retry-After": "1"}
        ).response()
    return Response({"status": "ready"}, headers={"Cache-Control": "no-store"})
