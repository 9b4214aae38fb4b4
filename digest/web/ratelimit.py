"""A token bucket per key (an email address), in memory.

One process only: behind several workers each has its own buckets (docs/subscribers.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimit:
    """`limit` at once per key, refilled evenly over `period` seconds."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.rate, self.clock = limit, limit / period, clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def _tokens(self, key: str, now: float) -> float:
        if len(self.buckets) > 10_000:  # forget the keys whose buckets have refilled
            self.buckets = {k: (t, w) for k, (t, w) in self.buckets.items() if t + (now - w) * self.rate < self.limit}
        tokens, when = self.buckets.get(key, (self.limit, now))
        return min(self.limit, tokens + (now - when) * self.rate)

    def wait(self, key: str) -> float:
        """0 if a token is there for key (none is used), else the seconds until the next one."""
        tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, key: str) -> float:
        """0 if allowed (and a token is used), else the seconds until the next token."""
        now = self.clock()
        tokens = self._tokens(key, now)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        self.buckets[key] = (tokens - 1, now)
        return 0.0
