"""The realistic-limits mode: credit buckets, the concurrent-operation cap, and the sandbox's 429 ledger.

Everything here is process-local (like the per-endpoint token buckets of :mod:`.faults`): the command
line serves with one process. The concurrency count reads the shared SQLite state (batches processing)
plus this process's admissions not stored yet, so it also holds when several threads submit at once.

:func:`api_bound_minimum` computes, from the same limits, the shortest time an ideal client could take
for a given list of batches: the benchmarks compare a pipeline's total time with it.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .config import RealisticLimits
from .faults import REASON_CONCURRENCY, REASON_CREDITS, Fault, TokenBucket
from .lifecycle import iso, now_ts
from .store import Store

#: Endpoints that start an enrichment operation (``"METHOD /path"`` as in ``DOCUMENTED_RATE_LIMITS``).
BATCH_ENDPOINT = "POST /v3/batches"
SYNC_ENDPOINT = "POST /v3/transactions"


class RejectionLedger:
    """Counts every 429 the sandbox answered, by endpoint and by reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self.since = now_ts()

    def record(self, endpoint: str | None, reason: str) -> None:
        """Count one 429 for ``endpoint`` (``None`` = a path no route serves)."""
        with self._lock:
            self._counts[(endpoint or "unmatched", reason)] += 1

    def reset(self) -> None:
        """Forget every count; the window starts now."""
        with self._lock:
            self._counts.clear()
            self.since = now_ts()

    def view(self) -> dict[str, Any]:
        """``{"total", "by_reason", "by_endpoint": {endpoint: {reason: n}}}``."""
        with self._lock:
            counts = dict(self._counts)
        by_endpoint: dict[str, dict[str, int]] = defaultdict(dict)
        by_reason: Counter[str] = Counter()
        for (endpoint, reason), n in sorted(counts.items()):
            by_endpoint[endpoint][reason] = n
            by_reason[reason] += n
        return {"total": sum(counts.values()), "by_reason": dict(by_reason), "by_endpoint": dict(by_endpoint)}


@dataclass
class Admission:
    """An accepted enrichment operation, not stored as a batch row yet."""

    api_key: str
    transactions: int
    admitted_at: float
    token: int


class LimitState:
    """Enforces :class:`RealisticLimits` per API key and keeps the figures of ``GET /_sandbox/stats``."""

    def __init__(self, limits: RealisticLimits, store: Store) -> None:
        self.limits = limits
        self.store = store
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._pending: dict[int, Admission] = {}
        self._tokens = itertools.count()
        self._credits_used: Counter[str] = Counter()
        self.since = now_ts()

    def reset(self) -> None:
        """Full buckets, no credits used, a new measurement window starting now."""
        with self._lock:
            self._buckets.clear()
            self._credits_used.clear()
            self.since = now_ts()

    def admit(self, api_key: str, transactions: int) -> Admission | Fault:
        """Take a slot and ``transactions`` credits for a new operation, or say why not (a 429 fault).

        The slot is checked first: an operation refused for want of a slot costs no credits.
        """
        with self._lock:
            now = now_ts()
            busy, next_free = self._busy_slots(api_key, now)
            if busy >= self.limits.max_operations:
                wait = max(1, math.ceil(next_free - now))
                return Fault(
                    429,
                    f"Rate limit exceeded: {busy} enrichment operations are running for this API key (at most "
                    f"{self.limits.max_operations} at once); retry when one finishes",
                    wait,
                    REASON_CONCURRENCY,
                )
            bucket = self._bucket(api_key, now)
            wait = bucket.take(transactions, now)
            if wait:
                return Fault(
                    429,
                    f"Rate limit exceeded: {transactions} enrichment credits needed, {int(bucket.tokens)} "
                    f"available (at most {self.limits.credit_capacity}, refilled at "
                    f"{self.limits.refill_rate:g}/s)",
                    max(1, math.ceil(wait)),
                    REASON_CREDITS,
                )
            self._credits_used[api_key] += transactions
            admission = Admission(api_key, transactions, now, next(self._tokens))
            self._pending[admission.token] = admission
            return admission

    def release(self, admission: Admission) -> None:
        """The operation is stored (or was never stored): stop counting it as pending."""
        with self._lock:
            self._pending.pop(admission.token, None)

    @contextmanager
    def storing(self, admission: Admission) -> Iterator[None]:
        """Write the admitted operation's batch row in the body, then stop counting it as pending.

        A slot is counted from the stored rows and the pending admissions: the commit and the release
        are one step under the lock :meth:`admit` takes (the lock before the store's, as there), else an
        operation stored but not released yet would count twice and refuse a free slot with a 429.
        """
        with self._lock:
            try:
                yield
            finally:
                self._pending.pop(admission.token, None)

    def done_at(self, admission: Admission, stored_at: float) -> float:
        """When an operation admitted as ``admission`` finishes (never before it was stored)."""
        return max(stored_at, admission.admitted_at + self.limits.processing_seconds(admission.transactions))

    def _bucket(self, api_key: str, now: float) -> TokenBucket:
        """The key's credit bucket (full the first time)."""
        bucket = self._buckets.get(api_key)
        if bucket is None:
            capacity = float(self.limits.credit_capacity)
            bucket = self._buckets[api_key] = TokenBucket.full(capacity, self.limits.refill_rate, now)
        return bucket

    def _busy_slots(self, api_key: str, now: float) -> tuple[int, float]:
        """Operations running for ``api_key`` at ``now`` and when the first of them ends."""
        rows = self.store.query(
            "SELECT MIN(done_at, COALESCE(error_at, done_at)) FROM batches "
            "WHERE api_key = ? AND done_at > ? AND (error_at IS NULL OR error_at > ?)",
            (api_key, now, now),
        )
        ends = [row[0] for row in rows]
        pending = [a for a in self._pending.values() if a.api_key == api_key]
        ends.extend(self.done_at(a, now) for a in pending)
        return len(ends), min(ends, default=now)

    def stats(self, api_keys: Sequence[str]) -> dict[str, Any]:
        """Credits and operation-slot figures per key since the window started."""
        with self._lock:
            now = now_ts()
            since = self.since
            credits = {key: (self._bucket(key, now).refill(now), self._credits_used[key]) for key in api_keys}
        keys = {}
        for key in api_keys:
            available, used = credits[key]
            keys[key] = {
                "credits": {
                    "used": used,
                    "available": int(available),
                    "capacity": self.limits.credit_capacity,
                    "refill_per_second": self.limits.refill_rate,
                },
                "operations": self._operations(key, since, now),
            }
        return keys

    def _operations(self, api_key: str, since: float, now: float) -> dict[str, Any]:
        rows = self.store.query(
            "SELECT started, MIN(done_at, COALESCE(error_at, done_at)), total FROM batches "
            "WHERE api_key = ? AND MIN(done_at, COALESCE(error_at, done_at)) > ? AND started <= ?",
            (api_key, since, now),
        )
        intervals = [(max(start, since), min(end, now)) for start, end, _ in rows]
        busy = sum(max(0.0, end - start) for start, end in intervals)
        elapsed = max(now - since, 1e-9)
        capacity = self.limits.max_operations
        return {
            "max_concurrent": capacity,
            "in_flight": sum(1 for _, end, _ in rows if end > now),
            "started": sum(1 for start, _, _ in rows if start >= since),
            "transactions": sum(total for start, _, total in rows if start >= since),
            "busy_seconds": busy,
            "busy_share": busy / (capacity * elapsed),
            "peak_concurrent": peak_concurrency(intervals),
            "first_started": iso(min(s for s, _ in intervals)) if intervals else None,
            "last_done": iso(max(e for _, e in intervals)) if intervals else None,
        }


def peak_concurrency(intervals: Iterable[tuple[float, float]]) -> int:
    """Most intervals ``[start, end)`` overlapping at one instant."""
    events = sorted(
        itertools.chain.from_iterable(((s, 1), (e, -1)) for s, e in intervals if e > s),
        key=lambda event: (event[0], event[1]),  # an end before a start at the same instant
    )
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def api_bound_minimum(batch_sizes: Sequence[int], limits: RealisticLimits) -> float:
    """Seconds (scaled) an ideal client needs for these batches under ``limits``, from a full bucket.

    The client submits the batches in order, each as soon as a slot is free and the bucket holds its
    credits, and never waits for anything else; the result is when the last batch finishes. No real
    client can be faster with the same batches; a different split into batches changes the figure
    only through the fixed per-operation overhead.
    """
    capacity = float(limits.credit_capacity)
    tokens, clock, finished = capacity, 0.0, 0.0
    running: list[float] = []
    for size in batch_sizes:
        if size > capacity:
            raise ValueError(f"a batch of {size} transactions can never fit a bucket of {capacity:g} credits")
        start = clock
        if len(running) >= limits.max_operations:
            start = max(start, heapq.heappop(running))
        tokens = min(capacity, tokens + (start - clock) * limits.refill_rate)
        if tokens < size:
            wait = (size - tokens) / limits.refill_rate
            start, tokens = start + wait, float(size)
        tokens -= size
        clock = start
        end = start + limits.processing_seconds(size)
        heapq.heappush(running, end)
        finished = max(finished, end)
    return finished


def full_batches(transactions: int, batch_size: int) -> list[int]:
    """``transactions`` split into batches of ``batch_size`` (the last one smaller)."""
    full, rest = divmod(transactions, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def best_split_minimum(
    transactions: int, limits: RealisticLimits, max_batch: int = 24_960
) -> tuple[float, int]:
    """The smallest :func:`api_bound_minimum` over splits of ``transactions`` into equal batches.

    Returns (seconds, batch size). Sizes from 100 to ``max_batch`` (about 60, geometrically spaced, plus
    ``max_batch`` and one batch per operation slot) are tried: bigger batches pay the per-operation
    overhead less often, smaller ones finish the tail sooner, and which wins depends on the limits.
    """
    if transactions <= 0:
        return 0.0, 0
    top = min(max_batch, transactions)
    low = min(100, top)
    steps = 60
    candidates = {top, low, max(1, min(top, math.ceil(transactions / limits.max_operations)))}
    candidates.update(round(low * (top / low) ** (i / steps)) for i in range(steps + 1))
    return min((api_bound_minimum(full_batches(transactions, size), limits), size) for size in candidates)
