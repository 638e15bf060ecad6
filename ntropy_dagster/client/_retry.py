"""The retry policy: which failures are retried, and how long to wait between attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["RetryPolicy", "parse_retry_after", "request_was_not_sent"]

# Errors that may arrive after the server already acted on the request. For requests that are not idempotent
# (POST /v3/batches, bank statement upload, ...) a retry could create a second resource (and bill it twice),
# so these statuses are only retried for idempotent requests: GETs, DELETEs, the read-only POSTs and the
# creates keyed by the caller's id (a repeat of one that succeeded answers 400 duplicate, nothing is created
# twice). 429 (rejected by the rate limiter) and 503 (service unavailable, nothing was processed) are retried
# for every request.
_AMBIGUOUS_STATUSES = frozenset({500, 502, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries failed requests.

    Retried: statuses in ``retry_statuses`` (429 honouring ``Retry-After``), connection errors and timeouts;
    500, 502 and 504 only for idempotent requests (a 500 may be transient: one must not fail a whole sensor
    tick or a run that a second GET would have carried through).
    Bounded by ``max_attempts`` (attempts in total, including the first) and by ``max_elapsed`` seconds
    since the first attempt: a retry whose wait would cross that bound is not made. Waits grow
    exponentially from ``initial_backoff`` up to ``max_backoff``; with ``jitter`` each wait is drawn
    uniformly from ``[0, backoff]`` ("full jitter"). ``RetryPolicy(max_attempts=1)`` disables retries.
    """

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_elapsed: float = 120.0
    jitter: bool = True
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.max_elapsed < 0:
            raise ValueError("backoff and elapsed bounds must be >= 0")
        object.__setattr__(self, "retry_statuses", frozenset(self.retry_statuses))

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based) when the server gave no hint."""
        ceiling = min(self.max_backoff, self.initial_backoff * (2 ** (attempt - 1)))
        return random.uniform(0.0, ceiling) if self.jitter else ceiling

    def status_delay(
        self, status_code: int, attempt: int, retry_after: float | None, idempotent: bool
    ) -> float | None:
        """The wait before retrying a response with ``status_code``, or None if it must not be retried."""
        if status_code not in self.retry_statuses:
            return None
        if status_code in _AMBIGUOUS_STATUSES and not idempotent:
            return None
        if retry_after is not None:
            return retry_after
        return self.backoff(attempt)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP-date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def request_was_not_sent(exc: httpx.TransportError) -> bool:
    """True when the failure happened before any byte of the request reached the server.

    Connect errors and connect/pool timeouts are safe to retry for every request; read/write errors and
    read/write timeouts may come after the server received (and acted on) the request.
    """
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
