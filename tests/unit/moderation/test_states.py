"""The moderation state machine, pinned as a table of every (status, action)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.states import (
    ACTION_TARGET,
    ALLOWED,
    Action,
    Decision,
    Status,
    TransitionNotAllowed,
    decide,
    parse_action,
    parse_status,
    visible_status,
)

NOOP = "no-op"
FORBIDDEN = "forbidden"

# Every (status, action) pair exactly once, with its outcome: the target
# status, NOOP or FORBIDDEN. Written out by hand from API.md on purpose.
TABLE: list[tuple[str, str, str]] = [
    ("pending", "approve", "approved"),
    ("pending", "reject", "rejected"),
    ("pending", "spam", "spam"),
    ("approved", "approve", NOOP),
    ("approved", "reject", "rejected"),
    ("approved", "spam", "spam"),
    ("rejected", "approve", "approved"),
    ("rejected", "reject", NOOP),
    ("rejected", "spam", FORBIDDEN),
    ("spam", "approve", "approved"),
    ("spam", "reject", FORBIDDEN),
    ("spam", "spam", NOOP),
]


def test_table_lists_every_pair_exactly_once() -> None:
    pairs = [(status, action) for status, action, _ in TABLE]
    every = [(s.value, a.value) for s, a in itertools.product(Status, Action)]
    assert sorted(pairs) == sorted(every)
    assert len(set(pairs)) == len(pairs)


@pytest.mark.parametrize(("status", "action", "outcome"), TABLE)
def test_decide_follows_the_table(status: str, action: str, outcome: str) -> None:
    current, act = Status(status), Action(action)
    if outcome == FORBIDDEN:
        with pytest.raises(TransitionNotAllowed) as caught:
            decide(current, act)
        assert caught.value.from_status is current
        assert caught.value.action is act
        assert caught.value.code == "transition_not_allowed"
    elif outcome == NOOP:
        assert decide(current, act) == Decision(current, current, changed=False)
    else:
        assert decide(current, act) == Decision(current, Status(outcome), changed=True)


def test_allowed_is_exactly_the_real_changes_in_the_table() -> None:
    expected = {
        (Status(status), Status(outcome))
        for status, _, outcome in TABLE
        if outcome not in (NOOP, FORBIDDEN)
    }
    assert expected == ALLOWED
    assert ALLOWED == {
        (Status.PENDING, Status.APPROVED),
        (Status.PENDING, Status.REJECTED),
        (Status.PENDING, Status.SPAM),
        (Status.APPROVED, Status.REJECTED),
        (Status.APPROVED, Status.SPAM),
        (Status.REJECTED, Status.APPROVED),
        (Status.SPAM, Status.APPROVED),
    }


def test_wire_values_are_pinned() -> None:
    assert [s.value for s in Status] == ["pending", "approved", "rejected", "spam"]
    assert [a.value for a in Action] == ["approve", "reject", "spam"]
    assert dict(ACTION_TARGET) == {
        Action.APPROVE: Status.APPROVED,
        Action.REJECT: Status.REJECTED,
        Action.SPAM: Status.SPAM,
    }


def test_action_target_is_read_only() -> None:
    with pytest.raises(TypeError):
        ACTION_TARGET[Action.SPAM] = Status.APPROVED  # type: ignore[index]


def test_decision_is_frozen() -> None:
    decision = decide(Status.PENDING, Action.APPROVE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.changed = False  # type: ignore[misc]


def test_forbidden_message_names_the_states_only() -> None:
    with pytest.raises(TransitionNotAllowed, match="^cannot spam a comment that is rejected$"):
        decide(Status.REJECTED, Action.SPAM)


@pytest.mark.parametrize("text", ["approve", "reject", "spam"])
def test_parse_action_accepts_exact_names(text: str) -> None:
    assert parse_action(text) == Action(text)


@pytest.mark.parametrize(
    "text",
    ["", "Approve", "APPROVE", " approve", "approve ", "delete", "pending", "ham"],
)
def test_parse_action_refuses_anything_else(text: str) -> None:
    # The message is fixed: client text is never echoed back.
    with pytest.raises(ValueError) as caught:
        parse_action(text)
    assert str(caught.value) == "unknown action; expected one of: approve, reject, spam"


@pytest.mark.parametrize("text", ["pending", "approved", "rejected", "spam"])
def test_parse_status_accepts_exact_names(text: str) -> None:
    assert parse_status(text) == Status(text)


@pytest.mark.parametrize("text", ["", "Pending", "SPAM", " spam", "approve", "deleted", "all"])
def test_parse_status_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_status(text)
    assert str(caught.value) == (
        "unknown status; expected one of: pending, approved, rejected, spam"
    )


@pytest.mark.parametrize(
    ("status", "seen"),
    [
        (Status.PENDING, "pending"),
        (Status.APPROVED, "approved"),
        (Status.REJECTED, "rejected"),
        (Status.SPAM, "pending"),
    ],
)
def test_visible_status_hides_spam_as_pending(status: Status, seen: str) -> None:
    assert visible_status(status) == seen
    assert type(visible_status(status)) is str


@given(st.lists(st.sampled_from(Action), max_size=50))
def test_no_sequence_of_actions_leaves_the_table(actions: list[Action]) -> None:
    # Every comment starts pending; forbidden actions are refused and skipped.
    current = Status.PENDING
    for action in actions:
        try:
            decision = decide(current, action)
        except TransitionNotAllowed:
            assert (current, ACTION_TARGET[action]) not in ALLOWED
            assert ACTION_TARGET[action] is not current
            continue
        assert decision.from_status is current
        assert decision.to_status in Status
        if decision.changed:
            assert (decision.from_status, decision.to_status) in ALLOWED
        else:
            assert decision.to_status is current
        assert decision.to_status is ACTION_TARGET[action]
        current = decision.to_status


@given(st.sampled_from(Status), st.lists(st.sampled_from(Action), max_size=50))
def test_from_any_status_changes_stay_in_allowed(start: Status, actions: list[Action]) -> None:
    current = start
    for action in actions:
        try:
            decision = decide(current, action)
        except TransitionNotAllowed:
            continue
        assert not decision.changed or (current, decision.to_status) in ALLOWED
        current = decision.to_status
