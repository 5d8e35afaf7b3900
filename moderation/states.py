"""Comment statuses, moderator actions and the transitions between them.

The table is the contract in API.md ("Moderation"):

    pending  --approve--> approved     approved --reject--> rejected
    pending  --reject-->  rejected     approved --spam-->   spam
    pending  --spam-->    spam         rejected --approve-> approved
                                       spam     --approve-> approved

Asking for the status a comment already has is a no-op, not an error, so
that a retried request or two moderators clicking at once both succeed.
Everything else (e.g. rejected -> spam) is refused: the service answers
TransitionNotAllowed with a 409 and a ValueError from the parsers with a 400.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Final


class Status(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"


# Read-only so no caller can widen the state machine at run time.
ACTION_TARGET: Final[Mapping[Action, Status]] = MappingProxyType(
    {
        Action.APPROVE: Status.APPROVED,
        Action.REJECT: Status.REJECTED,
        Action.SPAM: Status.SPAM,
    }
)

# Real changes only; staying put is handled by `decide` as a no-op.
ALLOWED: Final[frozenset[tuple[Status, Status]]] = frozenset(
    {
        (Status.PENDING, Status.APPROVED),
        (Status.PENDING, Status.REJECTED),
        (Status.PENDING, Status.SPAM),
        (Status.APPROVED, Status.REJECTED),
        (Status.APPROVED, Status.SPAM),
        (Status.REJECTED, Status.APPROVED),
        (Status.SPAM, Status.APPROVED),
    }
)


@dataclass(frozen=True)
class Decision:
    from_status: Status
    to_status: Status
    changed: bool


class TransitionNotAllowed(Exception):
    code: ClassVar[str] = "transition_not_allowed"

    def __init__(self, from_status: Status, action: Action) -> None:
        self.from_status = from_status
        self.action = action
        super().__init__(f"cannot {action.value} a comment that is {from_status.value}")


def decide(current: Status, action: Action) -> Decision:
    """Where `action` takes a comment that is `current`.

    Raises TransitionNotAllowed when the table forbids it.
    """
    target = ACTION_TARGET[action]
    if target == current:
        return Decision(from_status=current, to_status=current, changed=False)
    if (current, target) not in ALLOWED:
        raise TransitionNotAllowed(current, action)
    return Decision(from_status=current, to_status=target, changed=True)


def parse_action(text: str) -> Action:
    """The action named exactly by `text`; ValueError for anything else."""
    try:
        return Action(text)
    except ValueError:
        # The input is not echoed: it is arbitrary client text.
        raise ValueError(_unknown("action", Action)) from None


def parse_status(text: str) -> Status:
    """The status named exactly by `text`; ValueError for anything else."""
    try:
        return Status(text)
    except ValueError:
        raise ValueError(_unknown("status", Status)) from None


def visible_status(status: Status) -> str:
    """The status a commenter may see for their own comment.

    Spam reads as pending so a spammer cannot learn which rule caught them.
    """
    if status is Status.SPAM:
        return Status.PENDING.value
    return status.value


def _unknown(kind: str, choices: type[enum.StrEnum]) -> str:
    names = ", ".join(member.value for member in choices)
    return f"unknown {kind}; expected one of: {names}"
