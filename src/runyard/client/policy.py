"""When to send a request again, and how often ``wait`` looks: pure decisions.

A request is sent again only when that cannot do anything twice:

- any request whose connection was never made (``ConnectError``, ``ConnectTimeout``, a
  pool timeout): the server never saw it;
- a *safe* request (a GET, a POST that carries an ``Idempotency-Key``, an import, which
  skips the run ids it has) after any transport failure, or a 503 or 429 answer.

Everything else is sent once: a cancel whose answer was lost may have cancelled the run.
Waits grow exponentially from ``backoff``; a ``Retry-After`` is honoured instead; both are
capped at ``max_delay``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from runyard.core.errors import RateLimited, Unavailable

# The request did not leave this process: sending it again cannot repeat anything.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures that may pass if the same request is sent again.
TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3  # sends after the first, at most
    backoff: float = 0.5  # seconds before the first resend; doubled for each further one
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0 or self.max_delay < 0:
            raise ValueError("retries, backoff and max_delay must not be negative")

    def delay(
        self,
        attempt: int,
        failure: Exception,
        *,
        safe: bool,
        retry_after: float | None = None,
    ) -> float | None:
        """Seconds to wait before sending the request again after its ``attempt``-th send
        (1 for the first) failed with ``failure`` (a transport error, or the
        ``RunyardError`` of the answer); None: do not send it again."""
        if attempt > self.retries or not self._resendable(failure, safe):
            return None
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_delay)

    @staticmethod
    def _resendable(failure: Exception, safe: bool) -> bool:
        if isinstance(failure, NEVER_SENT):
            return True
        if isinstance(failure, TRANSIENT):
            return safe
        if isinstance(failure, Unavailable | RateLimited):  # answered 503 or 429
            return safe and failure.status is not None
        return False


@dataclass
class Poll:
    """The pauses between looks at a run until ``timeout`` seconds have passed (None: no
    limit): ``first`` seconds, growing by half each time up to ``longest``."""

    timeout: float | None
    first: float = 0.1
    longest: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _next: float = field(init=False)
    _deadline: float | None = field(init=False)

    def __post_init__(self) -> None:
        self._next = self.first
        self._deadline = None if self.timeout is None else self.clock() + self.timeout

    def pause(self) -> float | None:
        """Seconds to wait before the next look; None once the time is up."""
        if self._deadline is None:
            pause = self._next
        else:
            left = self._deadline - self.clock()
            if left <= 0:
                return None
            pause = min(self._next, left)
        self._next = min(self._next * 1.5, self.longest)
        return pause
