"""Pacing and retries for a send: at most `rate` messages a second, and exponential
backoff with jitter for transient failures (honouring a server's Retry-After)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.settings import Settings


@dataclass
class Policy:
    """Rate limit and retry schedule; clock, sleep and random are injectable for tests."""

    rate: float = 0.0  # messages per second; 0: as fast as the transport takes them
    max_attempts: int = 5
    retry_base: float = 2.0
    retry_max: float = 300.0
    stop_after: int = 3  # this many readers in a row deferred: the server is down, stop the run
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    random: Callable[[], float] = random.random

    @classmethod
    def from_settings(cls, settings: Settings, transport: str, **overrides: Any) -> Policy:
        d = settings.delivery
        rate = d.rate_limit
        if rate is None:
            from digest.delivery.transports.api import DEFAULT_RATE

            rate = DEFAULT_RATE if transport == "api" else 0.0
        values = {"rate": rate, "max_attempts": d.max_attempts, "retry_base": d.retry_base, "retry_max": d.retry_max}
        return cls(**{**values, **overrides})

    def backoff(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before attempt+1: exponential with jitter, at least Retry-After;
        None when the server asks for longer than retry_max (defer to the next run)."""
        if retry_after is not None and retry_after > self.retry_max:
            return None
        cap = min(self.retry_max, self.retry_base * 2 ** (attempt - 1))
        delay = cap / 2 + self.random() * cap / 2
        return max(delay, retry_after or 0.0)


class Pace:
    """At most `rate` hand-overs a second (evenly spaced)."""

    def __init__(self, policy: Policy) -> None:
        self.policy, self.next = policy, 0.0
        self.interval = 1.0 / policy.rate if policy.rate > 0 else 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.policy.clock()
        if now < self.next:
            self.policy.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval
