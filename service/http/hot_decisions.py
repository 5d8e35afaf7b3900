"""A moderator's decision on one comment, answered in front of the router.

Approve, reject and spam went through Litestar's router, the controller's guard
(which copies the route handler on every call) and its exception handlers: about
0.3 ms of CPU a decision, as much as the decision itself. This layer answers the
common case without them, with the endpoint's own steps:

- a POST to /v1/moderation/comments/{id}/approve, /reject or /spam;
- a bearer token that authenticates (`live_token`, as the guard) with a role
  that may moderate. After its first decision here, a token is checked inside
  the decision's own write instead (`CheckInWrite`). A separate read costs about
  0.04 ms on the event loop, since every commit makes the reader start afresh;
  in the write it is one more cached row. If the write finds the token revoked,
  or anything fails before the check passes, nothing has been written and
  Litestar answers, its guard first, as always;
- Content-Length announced and within the limit, and a JSON Content-Type unless
  the body is blank.

Anything else goes to Litestar, which then answers as always (and logs): a
missing or bad token (401, 403), other paths and methods, oversized or chunked
bodies; a 415, a body that outruns its announcement or breaks off, or a token
found revoked after the body was read, is handed on with what was read
replayed. Otherwise, once the body is in, this layer answers: the comment
(`take_decision`), a domain problem with `no-store` as the controller's
handlers add it, or a logged 500.

Like the other hot layers it sits inside the metrics wrapper and Litestar's
`before_send` hooks.
"""

from __future__ import annotations

from functools import partial

from litestar.datastructures import State
from litestar.types import ASGIApp, HTTPScope, Receive, Send

from moderation.states import Action
from service.auth import CheckInWrite, Role, TokenRefused, digest_of, grants, live_token
from service.comments.moderating import Actor
from service.http.body import is_json_media_type
from service.http.caching import request_header
from service.http.guards import bearer_token
from service.http.hot_path import (
    announced_length,
    in_front_of,
    problem_of,
    read_body,
    replaying,
    send_problem,
    send_result,
)
from service.http.moderation import take_decision
from service.services import Services

_PREFIX = "/v1/moderation/comments/"
_ACTIONS = {"approve": Action.APPROVE, "reject": Action.REJECT, "spam": Action.SPAM}
# As Litestar's router names the routes, for the metrics.
_ROUTES = {verb: f"{_PREFIX}{{comment_id}}/{verb}" for verb in _ACTIONS}


def _decision_of(scope: HTTPScope) -> tuple[str, str] | None:
    """The comment id and the verb of a decision's path, if that is what it is."""
    path: str = scope["path"]
    if scope["method"] != "POST" or not path.startswith(_PREFIX):
        return None
    comment_id, slash, verb = path[len(_PREFIX) :].partition("/")
    if not comment_id or not slash or verb not in _ACTIONS:
        return None
    return comment_id, verb


def _token_digest(scope: HTTPScope) -> str | None:
    token = bearer_token(request_header(scope, b"authorization"))
    return None if token is None else digest_of(token)


async def _moderator(svc: Services, digest: str) -> str | None:
    """The name of the token's holder if it may moderate; else None, and Litestar's
    guard answers (401, 403, or the 503/500 of a database that cannot be read)."""
    try:
        record = await live_token(svc.db, digest)
    except Exception:  # storage trouble: the guard meets it again, and answers and logs
        return None
    if record is None or not grants(record.role, Role.MODERATOR):
        return None
    return record.name


# Digests of tokens that have passed the guard's check here with a role that may
# moderate: their next decisions check them inside the write instead. Only a token
# that authenticated gets in, so an unknown token never reaches the writer; one
# found revoked leaves. Until then, each request with it costs one write that
# refuses it (a burst of them, if they arrive together): a revoked token once was a
# real one. Roles never change, and there are few tokens: the bound only keeps a
# forgotten process from growing.
_VOUCHED_MAX = 1024


def hot_decisions(router: ASGIApp, state: State) -> ASGIApp:
    """Wraps the router: answers single-comment decisions, passes on everything else."""
    return in_front_of(router, state, partial(_answer_decision, vouched=set()))


async def _answer_decision(
    router: ASGIApp, scope: HTTPScope, receive: Receive, send: Send, svc: Services,
    *, vouched: set[str],
) -> None:  # fmt: skip
    decision = _decision_of(scope)
    length = announced_length(scope)
    limit = svc.settings.admin_max_body_bytes
    digest = _token_digest(scope)
    if decision is None or length is None or length > limit or digest is None:
        await router(scope, receive, send)
        return
    check: CheckInWrite | None = None
    actor: Actor
    if digest in vouched:
        check = CheckInWrite(digest, Role.MODERATOR)
        actor = check.holder
    else:
        name = await _moderator(svc, digest)
        if name is None:
            await router(scope, receive, send)
            return
        if len(vouched) >= _VOUCHED_MAX:
            vouched.clear()
        vouched.add(digest)
        actor = name
    body, messages = await read_body(receive, limit)
    if body is None or (
        body.strip() and not is_json_media_type(request_header(scope, b"content-type"))
    ):
        await router(scope, replaying(messages, receive), send)
        return
    comment_id, verb = decision
    scope["path_template"] = _ROUTES[verb]
    try:
        comment = await take_decision(svc, comment_id, _ACTIONS[verb], actor, body)
    except Exception as exc:
        if check is not None and not check.confirmed and not await _still_good(svc, digest, exc):
            # Nothing was written and the token is no longer good: Litestar's guard
            # answers first (a 401 ahead of a bad body), as it always does.
            vouched.discard(digest)
            await router(scope, replaying(messages, receive), send)
            return
        # The moderation controller's exception handlers add no-store to its problems.
        await send_problem(send, problem_of(scope, exc, no_store_problems=True))
        return
    await send_result(send, 200, comment)


async def _still_good(svc: Services, digest: str, exc: Exception) -> bool:
    """Whether a vouched token may still moderate, after its decision failed before
    the write's check passed: a body that does not decode, a writer that could not
    start. Then the error is the answer, as after the guard's check; handing on
    would queue the same write again."""
    return not isinstance(exc, TokenRefused) and await _moderator(svc, digest) is not None
