"""One error story: domain errors and framework errors become RFC 9457 documents.

A 5xx never echoes an exception message: it is logged with the request id, and
the client gets the id to quote.
"""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import Any, NamedTuple

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException, ValidationException

from service import errors
from service.errors import BylineError, FieldError
from service.http.middleware import CLIENT_GONE, request_id_of

log = logging.getLogger("byline.errors")

PROBLEM_JSON = "application/problem+json"

STATUS_BY_CODE: dict[str, int] = {
    errors.InvalidInput.code: 400,
    errors.Unauthorized.code: 401,
    errors.Forbidden.code: 403,
    errors.NotFound.code: 404,
    errors.Conflict.code: 409,
    errors.RateLimited.code: 429,
    errors.StorageUnavailable.code: 503,
}
_CODE_BY_STATUS = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class Problem(NamedTuple):
    """A problem document ready to send: Litestar's handlers send its `response()`,
    the hot layers (service/http/hot_path.py) send it themselves."""

    status: int
    body: bytes
    headers: dict[str, str]

    def response(self) -> Response[bytes]:
        return Response(
            self.body, status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


# The detail of a 400 for query parameters, Litestar's checks and ours alike.
INVALID_PARAMETERS = "the request has invalid parameters"


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    field_errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Problem:
    body: dict[str, Any] = {
        "type": f"/problems/{code or _CODE_BY_STATUS.get(status, 'error')}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if field_errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message} for e in field_errors]
    body.update(extra or {})
    return Problem(status, msgspec.json.encode(body), headers or {})


def problem_document(exc: BylineError) -> dict[str, Any]:
    """The body of a problem for one item of a bulk answer."""
    status = STATUS_BY_CODE.get(exc.code, 400)
    document: dict[str, Any] = {
        "type": f"/problems/{exc.code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": exc.detail,
    }
    if isinstance(exc, errors.InvalidInput):
        document["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return document


def domain_problem(exc: BylineError, method: str, path: str) -> Problem:
    status = STATUS_BY_CODE.get(exc.code, 400)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, errors.StorageUnavailable):
        headers["Retry-After"] = "1"
        log.warning("storage unavailable on %s %s", method, path)
    if isinstance(exc, errors.Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    field_errors = exc.errors if isinstance(exc, errors.InvalidInput) else None
    return problem(status, exc.detail, code=exc.code, field_errors=field_errors, headers=headers)


def handle_domain_error(request: Request[Any, Any, Any], exc: BylineError) -> Response[bytes]:
    return domain_problem(exc, request.method, request.url.path).response()


# Litestar's detail when the server reports a disconnect in the middle of a body.
# Should it ever change, such requests become logged 500s again (the safe side),
# and tests/api/test_client_gone.py fails.
_BODY_CUT_SHORT = "client disconnected prematurely"


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if (
        isinstance(exc, InternalServerException)
        and exc.detail == _BODY_CUT_SHORT
        and request.scope.get(CLIENT_GONE)
    ):
        # Litestar's answer to a body cut short: the client's doing, not a fault of
        # ours. Nobody is left to read the answer; the log and metrics see a 400.
        log.info("client disconnected before the request was complete (%s)", request.url.path)
        return problem(400, "the client disconnected before the request was complete").response()
    if status >= 500:
        return handle_unexpected(request, exc)
    if isinstance(exc, ValidationException):
        field_errors = [
            FieldError(str(item.get("key", "request")), str(item.get("message", "is invalid")))
            for item in (exc.extra if isinstance(exc.extra, list) else [])
            if isinstance(item, dict)
        ]
        return problem(400, INVALID_PARAMETERS, field_errors=field_errors).response()
    detail = {
        404: "no such resource",
        405: "method not allowed",
        413: "the request body is too large",
    }.get(status, str(exc.detail) if status in (401, 403, 415) else HTTPStatus(status).phrase)
    return problem(status, detail, headers=dict(exc.headers or {})).response()


def unexpected_problem(method: str, path: str, rid: str, exc: BaseException) -> Problem:
    # The record carries the request id (service.http.middleware); the message says it
    # too, for log lines read without the structured field.
    log.error("unhandled error on %s %s [request %s]\n%s", method, path, rid, crash_report(exc))
    return problem(
        500,
        f"an internal error occurred; quote request id {rid} when reporting it",
        code="internal_error",
        extra={"request_id": rid},
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    return unexpected_problem(request.method, request.url.path, request_id(request), exc).response()


# Messages from SQLite name tables, columns and constraints, never values (parameters
# are always bound), so they are kept. (Matched by module: this layer does not import
# the database driver.)
_MESSAGE_SAFE_MODULES = frozenset({"sqlite3"})


def crash_report(exc: BaseException) -> str:
    """A traceback without exception messages (a message may quote user data).

    Python tracebacks never include local variables; what they do include is each
    exception's message, and that is where an e-mail address or a token could ride
    along (`ValueError(f"bad address {email}")`). Frames, source lines and exception
    types are kept, messages are withheld except for known-safe types.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for item in reversed(chain):
        if parts:
            parts.append("  ...which led to:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        kind = f"{type(item).__module__}.{type(item).__qualname__}"
        if type(item).__module__ in _MESSAGE_SAFE_MODULES:
            parts.append(f"{kind}: {item}\n")
        else:
            parts.append(f"{kind} (message withheld: it may contain request data)\n")
    return "".join(parts).rstrip("\n")


def request_id(request: Request[Any, Any, Any]) -> str:
    return request_id_of(request.scope)
