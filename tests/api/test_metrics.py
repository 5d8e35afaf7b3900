"""`GET /metrics`: Prometheus text, counters that move, labels that never name a resource."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.api.comment_fixtures import Site, open_site
from tests.api.test_privacy import leaks

CANARY = "Metrics.Canary+tag@Example.org"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(site: Site) -> str:
    response = await site.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["cache-control"] == "no-store"
    return response.text


REQUESTS = "byline_http_request_duration_seconds_count"


async def test_counters_move_with_requests_and_outcomes(tmp_path: Path) -> None:
    async with open_site(tmp_path, post_min_interval_seconds=60) as site:
        before = await scrape(site)
        articles = value(before, REQUESTS, method="GET", route="/v1/articles/{slug}", status="2xx")
        for _ in range(3):
            assert (await site.client.get("/v1/articles/post")).status_code == 200
        assert (await site.client.get("/v1/articles/no-such-thing")).status_code == 404
        accepted = await site.post(email=CANARY, body="First.")
        assert accepted.status_code == 202
        assert (await site.post(email=CANARY, body="Second.")).status_code == 429
        assert (await site.post(email="bad")).status_code == 400
        comment_id = accepted.json()["comment"]["id"]
        moderator = {"Authorization": f"Bearer {site.admin_token}"}
        decided = await site.client.post(
            f"/v1/moderation/comments/{comment_id}/approve", headers=moderator
        )
        assert decided.status_code == 200
        after = await scrape(site)

    route = "/v1/articles/{slug}"
    assert value(after, REQUESTS, method="GET", route=route, status="2xx") == articles + 3
    assert value(after, REQUESTS, method="GET", route=route, status="4xx") == 1
    sub = "byline_comment_submissions_total"
    assert value(after, sub, outcome="accepted") == 1
    assert value(after, sub, outcome="rate_limited") == 1
    assert value(after, sub, outcome="invalid") == 1
    assert value(after, "byline_moderation_decisions_total", action="approve") == 1
    # Read from the database at scrape time.
    assert value(after, "byline_comments", status="approved") == 1
    assert value(after, "byline_comments", status="pending") == 0
    buckets = [
        v
        for (name, labels), v in samples(after).items()
        if name == "byline_http_request_duration_seconds_bucket"
        and ("route", route) in labels
        and ("status", "2xx") in labels
    ]
    assert buckets and max(buckets) == articles + 3


async def test_no_label_names_a_slug_an_id_or_an_address(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        receipt = await site.posted(email=CANARY, name="Canary Reader")
        comment_id = receipt["comment"]["id"]
        token = receipt["edit_token"]
        await site.client.get(f"/v1/comments/{comment_id}", headers={"X-Edit-Token": token})
        await site.client.patch(
            f"/v1/comments/{comment_id}",
            json={"body": "Edited."},
            headers={"X-Edit-Token": token},
        )
        await site.client.get("/v1/articles/post/comments")
        await site.client.get("/v1/articles/secret-unknown-slug")
        await site.client.get("/totally/unknown/path-xyz")
        await site.client.request("BREW", "/v1/articles")
        moderator = {"Authorization": f"Bearer {site.admin_token}"}
        await site.client.post(
            "/v1/moderation/privacy/export", json={"email": CANARY}, headers=moderator
        )
        text = await scrape(site)

    label_values = {v for (_, labels) in samples(text) for _, v in labels}
    for forbidden in (comment_id, "post", "secret-unknown-slug", "path-xyz", token, "BREW"):
        assert forbidden not in label_values, forbidden
    routes = {v for (_, labels) in samples(text) for k, v in labels if k == "route"}
    assert routes, text
    for route in routes:
        assert route == "unmatched" or route.startswith("/"), route
        assert re.fullmatch(r"[a-z0-9/_{}.-]+", route), route
    assert "/v1/comments/{comment_id}" in routes
    assert leaks(text) == []
    assert comment_id not in text and token not in text


async def test_metrics_can_be_turned_off(tmp_path: Path) -> None:
    async with open_site(tmp_path, metrics_enabled=False) as site:
        response = await site.client.get("/metrics")
        assert response.status_code == 404
        # Requests still carry their id without the metrics wrapper.
        assert (await site.client.get("/healthz")).headers["x-request-id"]


async def test_metrics_are_not_in_the_public_schema(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        schema = (await site.client.get("/schema/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


async def test_metrics_send_no_cors_headers(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        response = await site.client.get("/metrics", headers={"Origin": "https://x.example"})
    assert not [h for h in response.headers if h.startswith("access-control-")]


async def test_group_commits_are_counted_with_the_writes_they_carry(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        before = await scrape(site)
        answers = await asyncio.gather(
            *(site.post(email=f"r{i}@example.org", body=f"Comment {i}.") for i in range(8))
        )
        assert [answer.status_code for answer in answers] == [202] * 8
        after = await scrape(site)

    commits = value(after, "byline_write_batch_size_count") - value(
        before, "byline_write_batch_size_count"
    )
    writes = value(after, "byline_write_batch_size_sum") - value(
        before, "byline_write_batch_size_sum"
    )
    assert writes == 8  # the eight posts, and nothing else wrote
    assert 1 <= commits <= 8
    # Every commit falls in some bucket: the +Inf bucket counts them all.
    assert value(after, "byline_write_batch_size_bucket", le="+Inf") == value(
        after, "byline_write_batch_size_count"
    )


async def test_a_head_is_counted_under_its_route(tmp_path: Path) -> None:
    async with open_site(tmp_path) as site:
        await site.client.get("/v1/articles/post")  # the router, then the fast path
        for path in ("/v1/articles/post", "/v1/articles/post/comments", "/v1/articles"):
            assert (await site.client.head(path)).status_code == 200
        text = await scrape(site)
    for route in ("/v1/articles/{slug}", "/v1/articles/{slug}/comments", "/v1/articles"):
        assert value(text, REQUESTS, method="HEAD", route=route, status="2xx") == 1, route
    assert value(text, REQUESTS, method="HEAD", route="unmatched", status="2xx") == 0
