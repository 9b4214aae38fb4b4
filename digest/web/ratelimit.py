"""A token bucket per key (a client address, an email address), in memory.

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

    def take(self, key: str) -> float:
        """0 if allowed (and a token is used), else the seconds until the next token."""
        now = self.clock()
        if len(self.buckets) > 10_000:  # forget the clients whose buckets have refilled
            self.buckets = {k: (t, w) for k, (t, w) in self.buckets.items() if t + (now - w) * self.rate < self.limit}
        tokens, when = self.buckets.get(key, (self.limit, now))
        tokens = min(self.limit, tokens + (now - when) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        self.buckets[key] = (tokens - 1, now)
        return 0.0
