"""The ceiling: a bare Litestar app returning Byline's page bytes from memory.

It measures what the framework and the server cost when the handler does no
work at all. The bytes are read once at import from files captured from Byline
(or, when Byline is not available, a synthetic page of the same shape):
``BENCH_PAGE_FILE`` (served at /page) and ``BENCH_LIST_FILE`` (at /list).
With ``BENCH_POST_DB`` set, ``POST /post`` and the decision paths write the
way bench/storage_floor.py says: Byline's storage work with no handler work
around it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Response, get, post
from litestar.params import FromPath, JSONBody

PAGE = Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()
LIST = Path(os.environ["BENCH_LIST_FILE"]).read_bytes()
HEADERS = {"cache-control": "public, max-age=0, must-revalidate", "etag": '"bench-1"'}


@get("/page", sync_to_thread=False)
def page() -> Response[bytes]:
    return Response(PAGE, media_type=MediaType.JSON, headers=HEADERS)


@get("/list", sync_to_thread=False)
def comments_list() -> Response[bytes]:
    return Response(LIST, media_type=MediaType.JSON, headers=HEADERS)


@get("/tiny", sync_to_thread=False)
def tiny() -> dict[str, bool]:
    return {"ok": True}


@post("/post", status_code=202)
async def new_comment(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    from bench import storage_floor

    return {"comment": await storage_floor.store(data)}


@post("/v1/moderation/comments/{comment_id:str}/{verb:str}", status_code=200)
async def decision(comment_id: FromPath[str], verb: FromPath[str]) -> dict[str, Any]:
    from bench import storage_floor

    what = storage_floor.decision_of(f"{storage_floor.DECISIONS}{comment_id}/{verb}")
    assert what is not None, verb
    return await storage_floor.decide(*what)


def _app() -> Litestar:
    if not os.environ.get("BENCH_POST_DB"):
        return Litestar([page, comments_list, tiny], openapi_config=None, logging_config=None)
    from bench import storage_floor

    return Litestar(
        [page, comments_list, tiny, new_comment, decision],
        on_startup=[storage_floor.open_db],
        on_shutdown=[storage_floor.close_db],
        openapi_config=None,
        logging_config=None,
    )


app = _app()
