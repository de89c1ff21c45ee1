"""Retry policy: how often a failed run is tried again, and how long it waits first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``retries`` more attempts after the first, waiting ``backoff * 2^(n-1)`` (capped)."""

    retries: int = 0
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0

    def allows_another(self, attempt: int) -> bool:
        """Whether a run that failed on ``attempt`` (1 = its first) is tried again."""
        return attempt <= self.retries

    def delay(self, attempt: int) -> timedelta:
        """How long after failing on ``attempt`` the next one may start."""
        seconds = self.backoff_seconds * 2 ** max(attempt - 1, 0)
        return timedelta(seconds=min(seconds, self.max_backoff_seconds))

    @classmethod
    def from_definition(cls, definition: dict[str, Any]) -> RetryPolicy:
        """The policy a workflow's definition declares (``retries``, ``backoff_seconds``)."""
        retries = definition.get("retries", 0)
        backoff = definition.get("backoff_seconds", 1.0)
        return cls(
            retries=retries if isinstance(retries, int) and retries >= 0 else 0,
            backoff_seconds=float(backoff) if isinstance(backoff, int | float) else 1.0,
        )


def timeout_of(definition: dict[str, Any]) -> timedelta | None:
    """A workflow definition's ``timeout_seconds``, if it sets a positive one."""
    seconds = definition.get("timeout_seconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return timedelta(seconds=seconds)
    return None
