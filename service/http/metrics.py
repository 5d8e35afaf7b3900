"""Prometheus metrics at `GET /metrics` (API.md, "Operations").

Per request: one histogram observation (plain Python in one process), labelled by method, the
route *template* (`/v1/articles/{slug}`, never the raw path: no slugs or ids)
and the status class. Comment submissions and moderation decisions are counted
by outcome from the same observation, so the handlers carry no metrics code.
The writer reports each group commit's size (one observation per batch).
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
from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import accumulate
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
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from service.comments import moderating
from service.http.middleware import current_request_id, noting_disconnects, request_id_of
from service.services import services

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # writer.MAX_BATCH is 64
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


class _LocalHistogram:
    """One histogram series in plain Python: the event loop is its only writer."""

    __slots__ = ("buckets", "counts", "total")

    def __init__(self, buckets: tuple[float, ...] = _BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.total += value

    def add_to(self, family: HistogramMetricFamily, labels: tuple[str, ...]) -> None:
        bounds = [*(repr(float(b)) for b in self.buckets), "+Inf"]
        cumulative = list(accumulate(self.counts))
        family.add_metric(labels, list(zip(bounds, cumulative, strict=True)), self.total)


class _LocalCounter:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self) -> None:
        self.value += 1


_REQUESTS = (
    "byline_http_request_duration_seconds",
    "Requests by method, route template and status class, and their latency "
    "(request start to end of response). `_count` counts requests.",
)
_WRITE_BATCHES = (
    "byline_write_batch_size",
    "Writes per group commit (one transaction, one fsync). `_count` counts commits, "
    "`_sum` the writes they carried.",
)
_SUBMISSIONS = (
    "byline_comment_submissions",
    "Comment submissions by outcome (accepted, rate_limited, duplicate, invalid, ...). "
    "Spam is accepted like any comment and shows in byline_comments{status='spam'}.",
)
_DECISIONS_HELP = (
    "byline_moderation_decisions",
    "Successful moderation requests by action (a bulk request counts once).",
)


class Metrics:
    """The app's metrics. One histogram observation is the whole per-request cost.

    One process: values are plain Python numbers (about a microsecond per request;
    prometheus-client's locked values cost several) turned into metric families
    when scraped. Several workers (PROMETHEUS_MULTIPROC_DIR set): prometheus-client
    objects, whose values live in files a scrape on any worker sums.
    """

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self._histograms: dict[tuple[str, str, str], _LocalHistogram] = {}
        self._submissions: dict[str, _LocalCounter] = {}
        self._decisions: dict[str, _LocalCounter] = {}
        self._observers: dict[tuple[str, str, int], Observe] = {}
        self._write_batches = _LocalHistogram(_BATCH_BUCKETS)
        self.write_batch: Observe = self._write_batches.observe
        if self.multiprocess_dir:
            # A registry of the app's own: several apps may share a process (tests).
            registry = CollectorRegistry(auto_describe=True)
            self._shared_requests = Histogram(
                *_REQUESTS, ("method", "route", "status"), buckets=_BUCKETS, registry=registry
            )
            self._shared_submissions = Counter(*_SUBMISSIONS, ("outcome",), registry=registry)
            self._shared_decisions = Counter(*_DECISIONS_HELP, ("action",), registry=registry)
            self.write_batch = Histogram(
                *_WRITE_BATCHES, buckets=_BATCH_BUCKETS, registry=registry
            ).observe

    def _request_series(self, method: str, route: str, status: str) -> Observe:
        if self.multiprocess_dir:
            return self._shared_requests.labels(method, route, status).observe
        return self._histograms.setdefault((method, route, status), _LocalHistogram()).observe

    def _submission(self, outcome: str) -> Callable[[], None]:
        if self.multiprocess_dir:
            return self._shared_submissions.labels(outcome).inc
        return self._submissions.setdefault(outcome, _LocalCounter()).inc

    def _decision(self, action: str) -> Callable[[], None]:
        if self.multiprocess_dir:
            return self._shared_decisions.labels(action).inc
        return self._decisions.setdefault(action, _LocalCounter()).inc

    def observer(self, method: str, route: str, status: int) -> Observe:
        """The function recording one request of this kind; built once, then cached."""
        key = (method, route, status)
        found = self._observers.get(key)
        if found is not None:
            return found
        observe = self._request_series(method, route, f"{status // 100}xx")
        extra: list[Callable[[], None]] = []
        if (method, route) == _POST_COMMENT:
            extra.append(self._submission(_SUBMISSION_OUTCOME.get(status, "error")))
        decision = _DECISIONS.get((method, route))
        if decision is not None and 200 <= status < 300:
            extra.append(self._decision(decision))

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

    def _local_families(self) -> Iterator[Metric]:
        requests = HistogramMetricFamily(*_REQUESTS, labels=("method", "route", "status"))
        for labels, series in sorted(self._histograms.items()):
            series.add_to(requests, labels)
        yield requests
        batches = HistogramMetricFamily(*_WRITE_BATCHES)
        self._write_batches.add_to(batches, ())
        yield batches
        for (name, text), counters, label in (
            (_SUBMISSIONS, self._submissions, "outcome"),
            (_DECISIONS_HELP, self._decisions, "action"),
        ):
            family = CounterMetricFamily(name, text, labels=(label,))
            for value, counter in sorted(counters.items()):
                family.add_metric((value,), counter.value)
            yield family

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
                await app(scope, noting_disconnects(scope, receive), send_and_note)
            finally:
                current_request_id.reset(token)
                method = str(scope.get("method"))
                method = method if method in _METHODS else "other"
                route = scope.get("path_template") or "unmatched"
                self.observer(method, route, status)(time.perf_counter() - start)

        return measured

    def exposition(self, database_part: Collector) -> bytes:
        """The text format: this process's (or every worker's) metrics plus the database's."""
        scraped = CollectorRegistry(auto_describe=False)
        if self.multiprocess_dir:
            MultiProcessCollector(scraped, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        else:
            scraped.register(_Families(self._local_families))
        scraped.register(database_part)
        return generate_latest(scraped)


class _Families(Collector):
    def __init__(self, families: Callable[[], Iterator[Metric]]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return self._families()


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
