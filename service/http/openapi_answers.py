"""The answers the OpenAPI document cannot learn from the handlers' signatures.

Litestar documents each route's success and a 400 in its own error shape. Byline
answers every error with a problem document (http/problems.py), adds the ones
its guards and handlers raise, answers 201 to a PUT that creates, 304 to a
conditional GET and HEAD wherever GET; this puts those into the document.
"""

from __future__ import annotations

import copy
from typing import Any

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "On 400: every bad field.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "request_id": {"type": "string", "description": "On 5xx: quote it when reporting."},
    },
}

DESCRIPTION = (
    "The HTTP contract is API.md; the README lists the extensions. Every error is an "
    "RFC 9457 problem document (application/problem+json). Every GET also answers HEAD."
)

# What a route answers beyond what its kind (below) implies.
_ROUTE_ANSWERS: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/v1/articles/{slug}/comments"): {
        "403": "Comments are closed on this article.",
        "409": "The same comment was posted recently.",
        "429": "Too many comments; Retry-After says when to try again.",
        "503": "Too many posts in flight, or storage is unavailable; Retry-After.",
    },
    ("get", "/v1/comments/{comment_id}"): {"401": "No X-Edit-Token."},
    ("patch", "/v1/comments/{comment_id}"): {
        "401": "No X-Edit-Token.",
        "403": "The token does not fit, or the edit window has closed.",
    },
    ("delete", "/v1/comments/{comment_id}"): {
        "401": "No X-Edit-Token.",
        "403": "The token does not fit, or the edit window has closed.",
    },
    ("delete", "/v1/admin/authors/{slug}"): {"409": "The author still has articles."},
    ("get", "/readyz"): {"503": "Not ready: the database cannot be read."},
}
# What a route's kind would imply but it never answers: a change to the
# commenter's own comment answers 403 for an id it cannot find (API.md).
_NEVER: dict[tuple[str, str], set[str]] = {
    ("patch", "/v1/comments/{comment_id}"): {"404"},
    ("delete", "/v1/comments/{comment_id}"): {"404"},
}
_DECISIONS = ("approve", "reject", "spam")
# The public reads that carry an ETag (the commenter's own comment is no-store).
_CONDITIONAL = ("/v1/articles", "/v1/comments/counts")


def documented(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of Litestar's document with Byline's answers in it."""
    schema = copy.deepcopy(schema)
    schema["info"]["description"] = DESCRIPTION
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _answers(method, path, operation)
    return schema


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _answers(method: str, path: str, operation: dict[str, Any]) -> None:
    answers: dict[str, Any] = operation.setdefault("responses", {})
    # Litestar lists a 400 for every route; only a query or a body can earn one
    # here (a bad path segment is a 404).
    answers.pop("400", None)
    problems: dict[str, str] = {}
    queried = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if queried or "requestBody" in operation:
        problems["400"] = "Invalid input: `errors` names every bad field."
    if operation.get("security"):
        problems["401"] = "No token, or an unknown or revoked one."
        problems["403"] = "The token's role may not do this."
    if "{" in path and method != "put":  # a PUT creates what is not there
        problems["404"] = "No such resource."
    if "requestBody" in operation:
        problems["413"] = "The body is over the size limit."
        problems["415"] = "The body is not application/json."
    if path.rsplit("/", 1)[-1] in _DECISIONS:
        problems["409"] = "Not allowed from the comment's status, or `version` is stale."
        operation["requestBody"]["required"] = False  # the body is optional
    if path != "/healthz":  # every other route reads or writes the database
        problems["503"] = "Storage is unavailable for now (busy or failing); retry."
    problems.update(_ROUTE_ANSWERS.get((method, path), {}))
    for status in _NEVER.get((method, path), set()):
        problems.pop(status)
    for status, description in problems.items():
        answers[status] = _problem(description)
    if method == "get" and path.startswith(_CONDITIONAL):
        answers["304"] = {"description": "Not Modified: If-None-Match names the current ETag."}
    if method == "put" and "200" in answers:
        created = dict(answers["200"], description="Created.")
        answers["201"] = created
