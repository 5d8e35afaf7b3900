"""Domain errors. Each has a stable `code`; http/problems.py maps codes to statuses.

Messages here may reach clients, so they never contain private data (no e-mail
addresses, no tokens, no SQL).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class BylineError(Exception):
    code = "error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(BylineError):
    """One or more fields are invalid; every one is listed."""

    code = "invalid_input"

    def __init__(self, errors: list[FieldError], detail: str = "the request has invalid fields"):
        super().__init__(detail)
        self.errors = errors


class NotFound(BylineError):
    code = "not_found"


class Conflict(BylineError):
    code = "conflict"


class Forbidden(BylineError):
    code = "forbidden"


class Unauthorized(BylineError):
    code = "unauthorized"


class RateLimited(BylineError):
    code = "rate_limited"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class StorageUnavailable(BylineError):
    """The database cannot serve now (locked, disk full); the client may retry."""

    code = "unavailable"

    def __init__(self, detail: str = "storage is temporarily unavailable") -> None:
        super().__init__(detail)
