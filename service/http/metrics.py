"""Prometheus metrics at `GET /metrics` (API.md, "Operations").

Per request: one histogram observation, labelled by method, the
route *template* (`/v1/articles/{slug}`, never the raw path: no slugs or ids)
and the status class. Comment submissions and moderation decisions are counted
by outcome from the same observation, so the handlers carry no metrics code.
Queue sizes are read from the database when scraped, so every worker reports
the same, true numbers.

No label value ever comes from what a client wrote except through a fixed
table: methods outside the known set are `other`, unmatched paths are
`unmatched`. Nothing here sees a body, a header or an address, so no e-mail
(or anything derived from one) can reach a metric.

Several workers: start the server with `PROMETHEUS_MULTIPROC_DIR` pointing at an
empty directory; prometheus-client then keeps each worker's values in files
there and a scrape on any worker sums them (MultiProcessCollector).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from service.comments import moderating
from service.http.middleware import current_request_id, request_id_of
from service.services import services

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_POST_COMMENT = ("POST", "/v1/articles/{slug}/comments")
# What a comment POST's status means, for operators.
_SUBMISSION_OUTCOME = {
    202: "accepted",
    400: "invalid",
    403: "closed",
    404: "no_article",
    409: "duplicate",
    413: "too_large",
    415: "wrong_content_type",
    429: "rate_limited",
    503: "unavailable",
}
_DECISIONS = {
    ("POST", "/v1/moderation/comments/{comment_id}/approve"): "approve",
    ("POST", "/v1/moderation/comments/{comment_id}/reject"): "reject",
    ("POST", "/v1/moderation/comments/{comment_id}/spam"): "spam",
    ("DELETE", "/v1/moderation/comments/{comment_id}"): "erase",
    ("POST", "/v1/moderation/actions"): "bulk",
    ("POST", "/v1/moderation/housekeeping/purge-spam"): "purge_spam",
    ("POST", "/v1/moderation/privacy/erase"): "privacy_erase",
}

Observe = Callable[[float], None]


class Metrics:
    """The app's metric objects, on a registry of its own (several apps may share a process)."""

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.registry = CollectorRegistry(auto_describe=True)
        # One histogram is the whole per-request cost: its `_count` series is the
        # request counter (by status class), its buckets the latency.
        self.requests = Histogram(
            "byline_http_request_duration_seconds",
            "Requests by method, route template and status class, and their latency "
            "(request start to end of response). `_count` counts requests.",
            ("method", "route", "status"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.submissions = Counter(
            "byline_comment_submissions",
            "Comment submissions by outcome (accepted, rate_limited, duplicate, invalid, ...). "
            "Spam is accepted like any comment and shows in byline_comments{status='spam'}.",
            ("outcome",),
            registry=self.registry,
        )
        self.decisions = Counter(
            "byline_moderation_decisions",
            "Successful moderation requests by action (a bulk request counts once).",
            ("action",),
            registry=self.registry,
        )
        self._observers: dict[tuple[str, str, int], Observe] = {}

    def observer(self, method: str, route: str, status: int) -> Observe:
        """The function recording one request of this kind; built once, then cached."""
        key = (method, route, status)
        found = self._observers.get(key)
        if found is not None:
            return found
        observe = self.requests.labels(method, route, f"{status // 100}xx").observe
        extra: list[Callable[[], None]] = []
        if (method, route) == _POST_COMMENT:
            outcome = _SUBMISSION_OUTCOME.get(status, "error")
            extra.append(self.submissions.labels(outcome).inc)
        decision = _DECISIONS.get((method, route))
        if decision is not None and 200 <= status < 300:
            extra.append(self.decisions.labels(decision).inc)

        if not extra:
            record: Observe = observe
        else:

            def record(seconds: float) -> None:
                observe(seconds)
                for step in extra:
                    step()

        # Keys come from fixed tables and our own routes, so this stays small.
        self._observers[key] = record
        return record

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Wraps the whole router: 404s and error documents are measured too."""

        async def measured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            start = time.perf_counter()
            token = current_request_id.set(request_id_of(scope))
            status = 500

            async def send_and_note(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_and_note)
            finally:
                current_request_id.reset(token)
                method = str(scope.get("method"))
                method = method if method in _METHODS else "other"
                route = scope.get("path_template") or "unmatched"
                self.observer(method, route, status)(time.perf_counter() - start)

        return measured

    def exposition(self, database_part: Collector) -> bytes:
        """The text format: this process's (or every worker's) metrics plus the database's."""
        if self.multiprocess_dir:
            merged = CollectorRegistry()
            MultiProcessCollector(merged, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            process_text = generate_latest(merged)
        else:
            process_text = generate_latest(self.registry)
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(database_part)
        return process_text + generate_latest(scraped)


class _QueueCollector(Collector):
    """Gauges read from the database at scrape time (true across all workers)."""

    def __init__(self, stats: moderating.QueueStats) -> None:
        self._stats = stats

    def collect(self) -> Any:
        counts = GaugeMetricFamily(
            "byline_comments", "Comments stored, by moderation status.", labels=("status",)
        )
        for status, number in sorted(self._stats.counts.items()):
            counts.add_metric((status,), number)
        yield counts
        yield GaugeMetricFamily(
            "byline_moderation_queue_oldest_pending_age_seconds",
            "Age of the oldest pending comment (0 when the queue is empty).",
            value=self._stats.oldest_pending_age_seconds or 0,
        )
        yield GaugeMetricFamily(
            "byline_moderation_queue_stale_pending",
            "Pending comments older than BYLINE_STALE_PENDING_DAYS.",
            value=self._stats.stale_pending,
        )


@get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    svc = services(request)
    stats = await moderating.queue_stats(svc.db, svc.settings)
    metrics: Metrics = request.app.state.metrics
    return Response(
        metrics.exposition(_QueueCollector(stats)),
        # Given as a header: Litestar would append a second charset to a media_type.
        headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"},
    )
