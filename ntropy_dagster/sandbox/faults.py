"""Fault injection: per-key/per-endpoint token buckets, error bursts, random errors and latency."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import DOCUMENTED_RATE_LIMITS, FaultConfig

#: Why a 429 was sent (the keys of ``GET /_sandbox/stats``'s ``requests_429.by_reason``).
REASON_INJECTED = "injected"
REASON_ENDPOINT = "endpoint_rate_limit"
REASON_CREDITS = "credits"
REASON_CONCURRENCY = "concurrent_operations"


@dataclass(frozen=True)
class Fault:
    """An error response the sandbox answers instead of handling the request.

    ``reason`` says why: an injected fault (bursts, random errors) or an exceeded limit.
    """

    status: int
    detail: str
    retry_after: int | None = None
    reason: str = REASON_INJECTED


@dataclass
class TokenBucket:
    """A token bucket: at most ``capacity`` tokens, ``refill_per_second`` added as time passes (any clock,
    as long as every call uses the same one). Full when created."""

    capacity: float
    refill_per_second: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, capacity: float, refill_per_second: float, now: float) -> TokenBucket:
        return cls(capacity, refill_per_second, capacity, now)

    def refill(self, now: float) -> float:
        """Add what time brought since the last call; the tokens there are now."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_second)
        self.updated = now
        return self.tokens

    def take(self, amount: float, now: float) -> float:
        """Take ``amount`` tokens: 0.0 when taken, else the seconds until there would be enough."""
        if self.refill(now) >= amount:
            self.tokens -= amount
            return 0.0
        return (amount - self.tokens) / self.refill_per_second


@dataclass
class _Burst:
    status: int
    remaining: int
    retry_after: int | None


class FaultState:
    """Process-local fault settings and counters (shared by all requests of one server).

    ``time_scale`` multiplies the refill of the per-endpoint token buckets (their size stays one
    documented second's worth of requests); ``enforce_limits`` applies the buckets whatever
    ``config.rate_limit`` says (the realistic-limits mode).
    """

    def __init__(self, config: FaultConfig, *, time_scale: float = 1.0, enforce_limits: bool = False) -> None:
        self._initial = config
        self._time_scale = time_scale
        self._enforce_limits = enforce_limits
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._bursts: list[_Burst] = []
        self.config = config
        self._rng = random.Random(config.seed)

    def update(self, changes: Mapping[str, Any]) -> FaultConfig:
        """Change some settings; a new ``seed`` restarts the random sequence."""
        with self._lock:
            self.config = self.config.updated(changes)
            if "seed" in changes:
                self._rng = random.Random(self.config.seed)
            if "rate_limit" in changes or "rate_limits" in changes:
                self._buckets.clear()
            return self.config

    def reset(self) -> FaultConfig:
        """Back to the settings the server started with; forget buckets and bursts."""
        with self._lock:
            self.config = self._initial
            self._rng = random.Random(self.config.seed)
            self._buckets.clear()
            self._bursts.clear()
            return self.config

    def add_burst(self, status: int, count: int, retry_after: int | None) -> None:
        """Answer the next ``count`` API requests with ``status`` (after earlier bursts are used up)."""
        with self._lock:
            self._bursts.append(_Burst(status, count, retry_after))

    def pending_bursts(self) -> list[dict[str, Any]]:
        """Bursts not used up yet."""
        with self._lock:
            return [
                {"status": b.status, "remaining": b.remaining, "retry_after": b.retry_after}
                for b in self._bursts
            ]

    def limit_for(self, endpoint: str) -> float | None:
        """ops/s allowed for ``endpoint`` (``"METHOD /path/{param}"``), or ``None`` for unlimited.

        Assumption: endpoints the documentation does not list are not limited unless overridden.
        """
        override = self.config.rate_limits.get(endpoint)
        if override is not None:
            return float(override)
        documented = DOCUMENTED_RATE_LIMITS.get(endpoint)
        return float(documented) if documented is not None else None

    def check(self, api_key: str, endpoint: str | None) -> Fault | None:
        """The fault to answer this request with, if any (bursts, then random errors, then rate limits)."""
        with self._lock:
            while self._bursts and self._bursts[0].remaining <= 0:
                self._bursts.pop(0)
            if self._bursts:
                burst = self._bursts[0]
                burst.remaining -= 1
                detail = "Rate limit exceeded" if burst.status == 429 else "Injected fault"
                return Fault(burst.status, detail, burst.retry_after)
            config = self.config
            if config.error_rate > 0 and config.error_statuses and self._rng.random() < config.error_rate:
                status = self._rng.choice(config.error_statuses)
                return Fault(status, "Injected fault", 1 if status in (429, 503) else None)
            if (config.rate_limit or self._enforce_limits) and endpoint is not None:
                return self._take_token(api_key, endpoint)
        return None

    def _take_token(self, api_key: str, endpoint: str) -> Fault | None:
        limit = self.limit_for(endpoint)
        if limit is None or limit <= 0:
            return None
        now = time.monotonic()
        capacity, refill = max(1.0, limit), limit * self._time_scale
        bucket = self._buckets.get((api_key, endpoint))
        if bucket is None:
            bucket = self._buckets[(api_key, endpoint)] = TokenBucket.full(capacity, refill, now)
        bucket.capacity, bucket.refill_per_second = capacity, refill  # the limits may have been changed
        wait = bucket.take(1.0, now)
        if not wait:
            return None
        return Fault(429, f"Rate limit exceeded for {endpoint}", max(1, math.ceil(wait)), REASON_ENDPOINT)
