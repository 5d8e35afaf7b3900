"""A moderator's decision on one comment, answered in front of the router.

Approve, reject and spam went through Litestar's router, the controller's guard
(which copies the route handler on every call) and its exception handlers: about
0.3 ms of CPU a decision, as much as the decision itself. This layer answers the
common case without them, with the endpoint's own steps:

- a POST to /v1/moderation/comments/{id}/approve, /reject or /spam;
- a bearer token that authenticates (`authenticate`, as the guard) with a role
  that may moderate;
- Content-Length announced and within the limit, and a JSON Content-Type unless
  the body is blank.

Anything else goes to Litestar, which then answers as always (and logs): a
missing or bad token (401, 403), other paths and methods, oversized or chunked
bodies; a 415, or a body that outruns its announcement or breaks off, is handed
on with what was read replayed. Once the body is in, this layer answers: the
comment (`take_decision`), a domain problem with `no-store` as the controller's
handlers add it, or a logged 500.

Like the other hot layers it sits inside the metrics wrapper and Litestar's
`before_send` hooks.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.types import ASGIApp, HTTPScope, Receive, Send

from moderation.states import Action
from service.auth import Role, authenticate, grants
from service.http.body import is_json_media_type
from service.http.caching import request_header
from service.http.guards import bearer_token
from service.http.hot_path import (
    announced_length,
    answer_with,
    in_front_of,
    read_body,
    replaying,
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


async def _moderator(scope: HTTPScope, svc: Services) -> str | None:
    """The name of the token's holder if it may moderate; else None, and Litestar's
    guard answers (401, 403, or the 503/500 of a database that cannot be read)."""
    token = bearer_token(request_header(scope, b"authorization"))
    if token is None:
        return None
    try:
        record = await authenticate(svc.db, token)
    except Exception:  # storage trouble: the guard meets it again, and answers and logs
        return None
    if record is None or not grants(record.role, Role.MODERATOR):
        return None
    return record.name


def hot_decisions(router: ASGIApp, state: State) -> ASGIApp:
    """Wraps the router: answers single-comment decisions, passes on everything else."""
    return in_front_of(router, state, _answer_decision)


async def _answer_decision(
    router: ASGIApp, scope: HTTPScope, receive: Receive, send: Send, svc: Services
) -> None:
    decision = _decision_of(scope)
    length = announced_length(scope)
    limit = svc.settings.admin_max_body_bytes
    if decision is None or length is None or length > limit:
        await router(scope, receive, send)
        return
    actor = await _moderator(scope, svc)
    if actor is None:
        await router(scope, receive, send)
        return
    body, messages = await read_body(receive, limit)
    if body is None or (
        body.strip() and not is_json_media_type(request_header(scope, b"content-type"))
    ):
        await router(scope, replaying(messages, receive), send)
        return
    comment_id, verb = decision
    scope["path_template"] = _ROUTES[verb]
    step = take_decision(svc, comment_id, _ACTIONS[verb], actor, body)
    # The moderation controller's exception handlers add no-store to its problems.
    await answer_with(scope, send, step, 200, no_store_problems=True)
