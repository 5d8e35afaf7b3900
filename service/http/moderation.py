"""Moderator endpoints: the queue, decisions, erasure, the audit log, privacy requests.

Guarded once for the whole controller (role `moderator`; `admin` passes every
guard); privacy requests add an `admin` guard. Nothing here may be cached, errors
included, so the controller's own exception handlers add `no-store` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter

from moderation.states import Action, parse_action, parse_status
from service.auth import Role
from service.comments import moderating
from service.cursors import make_cursor, read_cursor
from service.errors import BylineError, FieldError, InvalidInput
from service.fields import clean_text, normalize_email
from service.http.articles import Limit
from service.http.body import decode_object, read_body, require_json
from service.http.guards import actor, require_role
from service.http.moderation_types import (
    AuditList,
    BulkBody,
    BulkResult,
    BulkResults,
    DecisionBody,
    EmailBody,
    ModerationComment,
    ModerationList,
    PrivacyErased,
    PrivacyExport,
    Purged,
    audit_entry,
    moderation_comment,
    queue_summary,
)
from service.http.openapi_body import body_operation
from service.http.problems import handle_domain_error, handle_http_error, problem_document
from service.services import Services, services
from service.storage import audit as audit_store
from service.storage import moderation as store
from service.validation import (
    Spec,
    collect,
    integer,
    optional_string,
    string,
    string_list,
    then,
)

NO_STORE = {"Cache-Control": "no-store"}
BULK_MAX = 500
NOTE_MAX = 1000
Cursor = Annotated[str | None, QueryParameter(description="From the previous page.")]


def _note(value: Any) -> str | None:
    text = optional_string(value)
    if text is None:
        return None
    return clean_text(text, max_length=NOTE_MAX, min_length=0) or None


def _version(value: Any) -> int:
    number = integer(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _ids(value: Any) -> list[str]:
    ids = string_list(value, max_items=BULK_MAX)
    if not ids:
        raise ValueError("must name at least one comment")
    return ids


DECISION = Spec(
    rules={"note": _note, "version": _version}, defaults={"note": None, "version": None}
)
BULK = Spec(
    rules={"action": then(string, parse_action), "ids": _ids, "note": _note},
    required=frozenset({"action", "ids"}),
    defaults={"note": None},
)
EMAIL = Spec(rules={"email": then(string, normalize_email)}, required=frozenset({"email"}))


async def take_decision(
    svc: Services, comment_id: str, action: Action, actor: moderating.Actor, body: bytes
) -> ModerationComment:
    """One decision on one comment, from its optional body: the comment as it now
    stands, or a BylineError."""
    data = collect(decode_object(body) if body.strip() else {}, DECISION)
    row = await moderating.moderate(
        svc.db, comment_id, action, actor=actor, note=data["note"], version=data["version"]
    )
    return moderation_comment(row)


def _no_store(handler: Callable[[Request[Any, Any, Any], Any], Response[Any]]) -> Any:
    def answer(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)
        response.headers["Cache-Control"] = "no-store"
        return response

    return answer


def _answer(row: store.ModerationRow) -> Response[ModerationComment]:
    return Response(moderation_comment(row), headers=NO_STORE)


class ModerationController(Controller):
    path = "/v1/moderation"
    tags = ["moderation"]
    guards = [require_role(Role.MODERATOR)]
    security = [{"bearer": []}]
    exception_handlers = {
        BylineError: _no_store(handle_domain_error),
        HTTPException: _no_store(handle_http_error),
    }

    @get("/comments", summary="The queue, oldest first, with its size and age")
    async def list_queue(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[str, QueryParameter(description="pending|approved|rejected|spam")] = (
            "pending"
        ),
        article: Annotated[str | None, QueryParameter(description="An article slug.")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Response[ModerationList]:
        svc = services(request)
        try:
            wanted = parse_status(status)
        except ValueError as exc:
            raise InvalidInput([FieldError("status", str(exc))]) from None
        kind = f"moderation.{wanted.value}.{article or ''}"
        after = None
        if cursor is not None:
            position = read_cursor(svc.keys, kind, cursor)
            if len(position) != 2 or not isinstance(position[1], int):
                raise InvalidInput([FieldError("cursor", "is not a valid cursor for this list")])
            after = (str(position[0]), position[1])
        rows = await store.list_queue(
            svc.db, status=wanted.value, article=article, limit=limit + 1, after=after
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = make_cursor(svc.keys, kind, [rows[-1].created_at, rows[-1].id])
        stats = await moderating.queue_stats(svc.db, svc.settings)
        body = ModerationList(
            items=[moderation_comment(row) for row in rows],
            next_cursor=next_cursor,
            queue=queue_summary(stats),
        )
        return Response(body, headers=NO_STORE)

    @get("/comments/{comment_id:str}", summary="One comment, with the author's address")
    async def get_comment(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[ModerationComment]:
        return _answer(await moderating.find(services(request).db, comment_id))

    async def _decide(
        self, request: Request[Any, Any, Any], comment_id: str, action: Action
    ) -> Response[ModerationComment]:
        # service/http/hot_decisions.py answers most decisions before they get here,
        # with the same checks in the same order and the same take_decision.
        body = await request.body()
        if body.strip():
            require_json(request)
        decided = await take_decision(services(request), comment_id, action, actor(request), body)
        return Response(decided, headers=NO_STORE)

    @post(
        "/comments/{comment_id:str}/approve",
        status_code=200,
        operation_class=body_operation(DecisionBody),
    )
    async def approve(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[ModerationComment]:
        return await self._decide(request, comment_id, Action.APPROVE)

    @post(
        "/comments/{comment_id:str}/reject",
        status_code=200,
        operation_class=body_operation(DecisionBody),
    )
    async def reject(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[ModerationComment]:
        return await self._decide(request, comment_id, Action.REJECT)

    @post(
        "/comments/{comment_id:str}/spam",
        status_code=200,
        operation_class=body_operation(DecisionBody),
    )
    async def spam(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[ModerationComment]:
        return await self._decide(request, comment_id, Action.SPAM)

    @delete("/comments/{comment_id:str}", status_code=204, summary="Erase a comment")
    async def erase(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Response[None]:
        await moderating.erase(services(request).db, comment_id, actor=actor(request))
        return Response(None, status_code=204, headers=NO_STORE)

    @post("/actions", status_code=200, operation_class=body_operation(BulkBody))
    async def bulk(self, request: Request[Any, Any, Any]) -> Response[BulkResults]:
        data = await read_body(request, BULK)
        outcomes = await moderating.moderate_many(
            services(request).db, data["ids"], data["action"], actor=actor(request),
            note=data["note"],
        )  # fmt: skip
        results = [
            BulkResult(
                id=outcome.public_id,
                status=outcome.row.status if outcome.row else None,
                error=problem_document(outcome.error) if outcome.error else None,
            )
            for outcome in outcomes
        ]
        return Response(BulkResults(results=results), headers=NO_STORE)

    @get("/audit", summary="The audit log, newest first")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        comment_id: Annotated[str | None, QueryParameter(description="One comment.")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Response[AuditList]:
        svc = services(request)
        kind = f"audit.{comment_id or ''}"
        before = None
        if cursor is not None:
            position = read_cursor(svc.keys, kind, cursor)
            if len(position) != 1 or not isinstance(position[0], int):
                raise InvalidInput([FieldError("cursor", "is not a valid cursor for this list")])
            before = position[0]
        rows = await audit_store.list_audit(
            svc.db, comment_id=comment_id, limit=limit + 1, before_id=before
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = make_cursor(svc.keys, kind, [rows[-1].id])
        body = AuditList(items=[audit_entry(row) for row in rows], next_cursor=next_cursor)
        return Response(body, headers=NO_STORE)

    @post(
        "/housekeeping/purge-spam",
        status_code=200,
        summary="Erase spam older than BYLINE_SPAM_RETENTION_DAYS",
    )
    async def purge_spam(self, request: Request[Any, Any, Any]) -> Response[Purged]:
        svc = services(request)
        purged = await moderating.purge_spam(svc.db, svc.settings, actor=actor(request))
        return Response(Purged(purged=purged), headers=NO_STORE)

    @post(
        "/privacy/export",
        status_code=200,
        guards=[require_role(Role.ADMIN)],
        operation_class=body_operation(EmailBody),
        summary="Every comment stored for an address (admin)",
    )
    async def privacy_export(self, request: Request[Any, Any, Any]) -> Response[PrivacyExport]:
        svc = services(request)
        email = (await read_body(request, EMAIL))["email"]
        rows = await moderating.export_by_email(svc.db, svc.keys, email)
        body = PrivacyExport(email=email.value, comments=[moderation_comment(r) for r in rows])
        return Response(body, headers=NO_STORE)

    @post(
        "/privacy/erase",
        status_code=200,
        guards=[require_role(Role.ADMIN)],
        operation_class=body_operation(EmailBody),
        summary="Erase every comment stored for an address (admin)",
    )
    async def privacy_erase(self, request: Request[Any, Any, Any]) -> Response[PrivacyErased]:
        svc = services(request)
        email = (await read_body(request, EMAIL))["email"]
        erased = await moderating.erase_by_email(svc.db, svc.keys, email, actor=actor(request))
        return Response(PrivacyErased(erased=erased), headers=NO_STORE)
