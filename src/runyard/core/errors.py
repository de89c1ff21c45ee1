"""The one error tree of runyard.

Every failure that a caller can act on is a ``RunyardError``. Each class has a stable
``code`` (machine-readable, part of the API contract) and carries a human ``detail``.
The API layer alone maps classes to HTTP statuses; nothing below it knows HTTP.

    RunyardError
    ├── InvalidInput        a request or query is malformed (field + reason in ``errors``)
    ├── NotFound            the object does not exist in the caller's project
    ├── Conflict            the request contradicts current state
    │   ├── IllegalTransition   a status change the transition table refuses
    │   └── LeaseLost       a worker no longer holds the run it writes to
    ├── Unauthenticated     no valid credential
    ├── Forbidden           a valid credential that may not do this
    ├── TooLarge            a body or batch over its limit
    ├── Unavailable         the database (or, to a client, the server) cannot answer now
    └── RateLimited         over the key's allowance; send again later

A client of the API (``runyard.client``, the HTTP worker) raises the same classes for
the problem documents it receives, with ``status`` and ``problem`` set to the response's
status and body; errors raised in-process leave both ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One invalid field: ``loc`` is the path to it (``["query", "limit"]``)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class RunyardError(Exception):
    code = "runyard_error"
    # Set by clients of the API: the HTTP status and the problem document received.
    status: int | None = None
    problem: dict[str, Any] | None = None

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


class Duplicate(Conflict):
    """A write would have stored a second row where one must be unique (a name, an id, a
    version): usually another caller's write won a race."""

    code = "duplicate"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class LeaseLost(Conflict):
    """The worker no longer holds this run (its lease expired and the run moved on): it
    must drop the run without finishing it."""

    code = "lease_lost"


class Unauthenticated(RunyardError):
    code = "unauthenticated"


class Forbidden(RunyardError):
    code = "forbidden"


class TooLarge(RunyardError):
    """A body or a batch over its limit (a log batch of too many lines, say)."""

    code = "too_large"


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
