"""Pure moderation logic: statuses and transitions, submission rules, clean-up.

No I/O and no async: the service looks things up and acts on the answers.
"""

from moderation.housekeeping import (
    DEFAULT_PENDING_MAX_AGE,
    DEFAULT_SPAM_MAX_AGE,
    spam_purge_cutoff,
    stale_pending_cutoff,
)
from moderation.rules import (
    Duplicate,
    Facts,
    Flag,
    Flooding,
    Refused,
    RuleSettings,
    Submission,
    Verdict,
    evaluate,
)
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
from moderation.text import count_links, find_terms, normalize_for_matching

__all__ = [
    "ACTION_TARGET",
    "ALLOWED",
    "DEFAULT_PENDING_MAX_AGE",
    "DEFAULT_SPAM_MAX_AGE",
    "Action",
    "Decision",
    "Duplicate",
    "Facts",
    "Flag",
    "Flooding",
    "Refused",
    "RuleSettings",
    "Status",
    "Submission",
    "TransitionNotAllowed",
    "Verdict",
    "count_links",
    "decide",
    "evaluate",
    "find_terms",
    "normalize_for_matching",
    "parse_action",
    "parse_status",
    "spam_purge_cutoff",
    "stale_pending_cutoff",
    "visible_status",
]
