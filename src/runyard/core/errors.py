"""The one error tree of runyard.

Every failure that a caller can act on is a ``RunyardError``. Each class has a stable
``code`` (machine-readable, part of the API contract) and carries a human ``detail``.
The API layer alone maps classes to HTTP statuses; nothing below it knows HTTP.

    RunyardError
    ├── InvalidInput        a request or query is malformed (field + reason in ``errors``)
    ├── NotFound            the object does not exist in the caller's project
    ├── Conflict            the request contradicts current state
    │   └── IllegalTransition   a status change the transition table refuses
    ├── Unauthenticated     no valid credential
    └── Forbidden           a valid credential that may not do this
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid field: ``loc`` is the path to it (``["query", "limit"]``)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class RunyardError(Exception):
    code = "runyard_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(RunyardError):
    code = "invalid_input"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, loc: tuple[str | int, ...], msg: str) -> InvalidInput:
        """An error about one field, its name first in the detail."""
        return cls(f"{'.'.join(str(p) for p in loc)}: {msg}", [FieldError(loc, msg)])


class NotFound(RunyardError):
    code = "not_found"


class Conflict(RunyardError):
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class Unauthenticated(RunyardError):
    code = "unauthenticated"


class Forbidden(RunyardError):
    code = "forbidden"


class Unavailable(RunyardError):
    """The database cannot answer now (a lost connection, a busy pool): nothing was
    done, and the same request may be sent again (with its Idempotency-Key)."""

    code = "unavailable"
    retry_after_seconds = 1


class RateLimited(RunyardError):
    """A key sent more requests than its allowance; it may send again after a wait."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after_seconds: int = 1) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
