"""The composition root: `create_app(settings)` wires everything, imports do nothing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.logging.config import LoggingConfig

from service.config import Settings, load_settings
from service.errors import BylineError
from service.http.admin import AdminController
from service.http.articles import ArticleController
from service.http.comments import CommentController
from service.http.cors import Cors
from service.http.docs import docs_assets_router, openapi_config
from service.http.head import head_as_get
from service.http.health import healthz, readyz
from service.http.hot_decisions import hot_decisions
from service.http.hot_posts import hot_posts
from service.http.hot_reads import hot_reads
from service.http.metrics import Metrics, metrics_endpoint
from service.http.middleware import (
    LOG_FORMAT,
    add_security_headers,
    install_request_id_logging,
    with_request_id,
)
from service.http.moderation import ModerationController
from service.http.problems import handle_domain_error, handle_http_error, handle_unexpected
from service.keys import Keys
from service.services import Services
from service.storage.database import Database
from service.storage.installation import ensure_secret


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db = Database(settings.database)
    await db.open()
    metrics: Metrics | None = app.state.metrics
    if metrics is not None:
        db.observe_batches(metrics.write_batch)
    try:
        secret = await db.write(ensure_secret)
        app.state.services = Services(settings=settings, db=db, keys=Keys(secret))
        yield
    finally:
        await db.close()


def _logging(settings: Settings) -> LoggingConfig:
    return LoggingConfig(
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        # aiosqlite logs every statement with its parameters at DEBUG: addresses included.
        loggers={"aiosqlite": {"level": "INFO", "propagate": True}},
        formatters={"standard": {"format": LOG_FORMAT}},
        # Litestar's own crash log prints the exception with its message, which may
        # carry request data; problems.handle_unexpected logs every 5xx instead, once,
        # with the request id and a traceback whose messages are withheld.
        log_exceptions="never",
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings(os.environ)
    install_request_id_logging()
    metrics = Metrics() if settings.metrics_enabled else None
    app = Litestar(
        route_handlers=[
            ArticleController,
            CommentController,
            AdminController,
            ModerationController,
            healthz,
            readyz,
            docs_assets_router(),
            *([metrics_endpoint] if metrics else []),
        ],
        lifespan=[_lifespan],
        state=State({"settings": settings, "metrics": metrics}),
        exception_handlers={
            BylineError: handle_domain_error,
            HTTPException: handle_http_error,
            Exception: handle_unexpected,
        },
        before_send=[add_security_headers, Cors(settings.cors_origins)],
        logging_config=_logging(settings),
        openapi_config=openapi_config(),
        request_max_body_size=settings.admin_max_body_bytes,
        debug=False,
    )
    # Around the whole router, inside the before_send hooks: router 404s and error
    # documents are measured and logged with their request id too, which Litestar's
    # app-level middleware (run only for matched routes) would miss.
    # The cached public reads, comment posts and moderators' single decisions are
    # answered before the router, inside both.
    handler = hot_decisions(hot_posts(hot_reads(app.asgi_handler, app.state), app.state), app.state)
    handler = head_as_get(handler)
    if metrics is not None:
        app.asgi_handler = metrics.middleware(handler)
    else:
        app.asgi_handler = with_request_id(handler)
    return app
