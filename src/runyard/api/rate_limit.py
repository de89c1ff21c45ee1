"""Per-key rate limits: a token bucket per API key, per server process.

A key may send ``rate`` requests a second on average and bursts of ``burst``; past that
its requests are refused with 429 and ``Retry-After`` until its bucket refills. Off
unless ``RUNYARD_RATE_LIMIT`` is set (runyard is self-hosted: the operator knows its
callers). With ``--processes N`` each process keeps its own buckets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from runyard.core.errors import RateLimited

MAX_BUCKETS = 10_000  # keys remembered at once; full buckets are forgotten first


class RateLimiter:
    def __init__(
        self, rate: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst or max(1, math.ceil(2 * rate))
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> None:
        """Spend one request of ``key``'s allowance, or raise ``RateLimited``."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            wait = math.ceil((1 - tokens) / self.rate)
            raise RateLimited(
                f"more than {self.rate:g} requests a second with this key; retry in {wait} s",
                retry_after_seconds=wait,
            )
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > MAX_BUCKETS:
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        for key, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.rate >= self.burst:
                del self._buckets[key]
