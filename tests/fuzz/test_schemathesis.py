"""schemathesis against Byline's own OpenAPI document, in-process, bounded for CI.

Public GETs and the comment POST; every generated request must get an answer that
is not a 5xx and that matches the documented schema. schemathesis runs the app's
lifespan itself (and keeps it for the process); the fixture below shuts it down so
the SQLite connections close and the interpreter can exit.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.python import asgi as st_asgi

from service.app import create_app
from service.config import Settings

_DB = Path(tempfile.mkdtemp(prefix="byline-fuzz-")) / "fuzz.db"
app = create_app(
    Settings(
        database=str(_DB),
        post_min_interval_seconds=0,
        post_rate_limit=0,
        duplicate_window_seconds=0,
    )
)
# Public reads and the one public write; PATCH/DELETE need a token, admin a bearer.
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app).include(
    path_regex=r"^/v1/(articles|comments)", method_regex=r"^(GET|POST)$"
)

load_all_checks()
not_a_server_error = CHECKS.get_one("not_a_server_error")
response_schema_conformance = CHECKS.get_one("response_schema_conformance")


@pytest.fixture(scope="module", autouse=True)
def _close_lifespan() -> Iterator[None]:
    yield
    st_asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
