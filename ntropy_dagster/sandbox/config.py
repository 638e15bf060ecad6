"""Configuration of the sandbox server (state location, processing speed, faults, webhooks, API limits)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: Per-endpoint limits (operations per second) from the v3 "Rate limits" page (ntropy-api.md §1.1).
#: Keys are ``"METHOD /path/template"`` exactly as the routes are declared.
DOCUMENTED_RATE_LIMITS: dict[str, float] = {
    "POST /v3/transactions": 20,
    "GET /v3/transactions": 10,
    "DELETE /v3/transactions/{transaction_id}": 10,
    "POST /v3/transactions/{transaction_id}/assign": 10,
    "POST /v3/batches": 20,
    "GET /v3/batches": 20,
    "GET /v3/batches/{batch_id}": 20,
    "GET /v3/batches/{batch_id}/results": 10,
    "POST /v3/bank_statements": 10,
    "GET /v3/bank_statements": 10,
    "GET /v3/bank_statements/{statement_id}": 10,
    "DELETE /v3/bank_statements/{statement_id}": 10,
    "POST /v3/bank_statements/{statement_id}/verify": 10,
    "GET /v3/bank_statements/{statement_id}/results": 10,
    "POST /v3/account_holders": 100,
    "GET /v3/account_holders": 10,
    "GET /v3/account_holders/{account_holder_id}": 10,
    "DELETE /v3/account_holders/{account_holder_id}": 10,
    "POST /v3/account_holders/{account_holder_id}/recurring_groups": 10,
    "POST /v3/webhooks": 10,
    "GET /v3/webhooks": 10,
    "GET /v3/webhooks/{webhook_id}": 10,
    "DELETE /v3/webhooks/{webhook_id}": 10,
}

DEFAULT_API_KEY = "sandbox-api-key"

#: The largest batch the API accepts (ntropy-api.md §2.2).
FULL_BATCH = 24_960


@dataclass(frozen=True)
class FaultConfig:
    """Fault injection settings; changeable at run time through ``PUT /_sandbox/faults``.

    Attributes:
        rate_limit: enforce the per-endpoint token buckets (429 with an integer ``Retry-After``).
        rate_limits: per-endpoint overrides in ops/s, keyed ``"METHOD /v3/path/{param}"``; they also
            limit endpoints the documentation does not list.
        error_rate: probability (0..1) that a ``/v3`` request is answered with an injected error.
        error_statuses: statuses to pick the injected error from.
        latency_ms: extra latency added to every ``/v3`` request, before it is handled.
        response_delay_ms: delay added after a ``/v3`` request was handled, before the answer is
            sent: the work is done (a batch created, say) but a client with a shorter timeout never
            hears of it. Simulates a client that dies between submitting and recording.
        seed: seed of the random generator used for ``error_rate`` (reproducible faults).
    """

    rate_limit: bool = False
    rate_limits: Mapping[str, float] = field(default_factory=dict)
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    latency_ms: int = 0
    response_delay_ms: int = 0
    seed: int | None = None

    def updated(self, changes: Mapping[str, Any]) -> FaultConfig:
        """Return a copy with the given fields changed (unknown keys are ignored by the caller)."""
        values = dict(changes)
        if "error_statuses" in values and values["error_statuses"] is not None:
            values["error_statuses"] = tuple(int(s) for s in values["error_statuses"])
        if "rate_limits" in values and values["rate_limits"] is None:
            values["rate_limits"] = {}
        return replace(self, **values)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {
            "rate_limit": self.rate_limit,
            "rate_limits": dict(self.rate_limits),
            "error_rate": self.error_rate,
            "error_statuses": list(self.error_statuses),
            "latency_ms": self.latency_ms,
            "response_delay_ms": self.response_delay_ms,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class RealisticLimits:
    """The limits the real API documents, enforced per API key (opt-in: ``SandboxConfig.realistic_limits``).

    The numbers are those of ``shared/ntropy-api.md`` §1.1 "Rate limits and quotas" (the v3 "Rate limits"
    page): every enriched transaction costs one credit from a bucket of at most 100,000 credits refilled at
    1,000 per second; at most 10 enrichment operations (batches processing, plus synchronous
    enrichments) run at once per key; each endpoint allows the operations per second of
    :data:`DOCUMENTED_RATE_LIMITS`. Exceeding any of them is answered as the contract says for a rate
    limit: ``429`` with ``{"detail": ...}`` and an integer ``Retry-After`` (seconds until the request
    would be accepted, at least 1).

    The processing time of a batch is NOT documented. Assumption: an enrichment operation processes
    ``operation_rate`` transactions per second after a fixed ``operation_overhead`` (seconds), so a full
    batch of 24,960 transactions takes 1 + 24,960 / 100 = 250.6 s. With the default 100 tx/s, 10
    operations together process about as fast as credits refill (1,000/s): we assume Ntropy sized the
    refill to what the 10 operations can do, so neither limit is slack.

    ``time_scale`` divides every documented time: the credit refill and the per-endpoint limits are
    multiplied by it, processing times divided by it. Bucket sizes (100,000 credits, one second's worth
    of requests per endpoint) are counts and stay as documented. ``Retry-After`` is in scaled seconds.

    Attributes:
        time_scale: factor applied to every time (``10`` = ten times faster than the real API).
        credit_capacity: credits the bucket holds at most (and at start).
        credit_refill_per_second: credits added per (unscaled) second.
        max_operations: enrichment operations (batches processing) allowed at once per key.
        operation_rate: transactions one operation processes per (unscaled) second (assumption).
        operation_overhead: fixed (unscaled) seconds of every operation (assumption).
        endpoint_limits: enforce the per-endpoint limits (scaled) even when ``faults.rate_limit`` is off.
    """

    time_scale: float = 1.0
    credit_capacity: int = 100_000
    credit_refill_per_second: float = 1_000.0
    max_operations: int = 10
    operation_rate: float = 100.0
    operation_overhead: float = 1.0
    endpoint_limits: bool = True

    def __post_init__(self) -> None:
        for name in ("time_scale", "credit_refill_per_second", "operation_rate"):
            if getattr(self, name) <= 0:
                raise ValueError(f"RealisticLimits.{name} must be positive, got {getattr(self, name)}")
        if self.credit_capacity < 1 or self.max_operations < 1:
            raise ValueError("RealisticLimits.credit_capacity and max_operations must be at least 1")
        if self.operation_overhead < 0:
            raise ValueError("RealisticLimits.operation_overhead must not be negative")

    @property
    def refill_rate(self) -> float:
        """Credits added per real (scaled) second."""
        return self.credit_refill_per_second * self.time_scale

    def processing_seconds(self, transactions: int) -> float:
        """Real (scaled) seconds one operation of ``transactions`` items stays processing."""
        return (self.operation_overhead + transactions / self.operation_rate) / self.time_scale

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view, with the scaled rates a client actually sees."""
        return {
            "time_scale": self.time_scale,
            "credit_capacity": self.credit_capacity,
            "credit_refill_per_second": self.credit_refill_per_second,
            "max_operations": self.max_operations,
            "operation_rate": self.operation_rate,
            "operation_overhead": self.operation_overhead,
            "endpoint_limits": self.endpoint_limits,
            "scaled": {
                "credit_refill_per_second": self.refill_rate,
                "full_batch_seconds": self.processing_seconds(FULL_BATCH),
            },
        }


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes a sandbox instance.

    Attributes:
        api_keys: accepted ``X-Api-Key`` values; data is kept separately per key.
        db_path: SQLite file shared by every process serving this sandbox. ``None`` = a fresh temporary
            file owned (and deleted at shutdown) by the app.
        rate: batch processing speed in transactions per second; ``None`` = instant.
        statement_delay: seconds a bank statement stays ``processing``; ``0``/``None`` = instant.
        faults: fault injection at start.
        webhook_timeout: seconds to wait for a webhook receiver.
        webhook_max_attempts: delivery attempts per event and webhook before giving up.
        webhook_backoff: first retry delay in seconds; doubles per attempt, capped by ``webhook_backoff_max``.
        webhook_disable_after: consecutive failed attempts after which a webhook is disabled.
        dispatch_interval: how often the webhook dispatcher looks for state changes (seconds).
        dispatch_webhooks: run the webhook dispatcher thread in this process.
        realistic_limits: enforce the API's documented credit bucket, operation cap and per-endpoint
            limits (with a time-scale factor); batches then take the modelled processing time instead of
            ``total / rate``. ``None`` (default) = no such limits.
    """

    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    db_path: str | None = None
    rate: float | None = 2000.0
    statement_delay: float | None = 2.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    webhook_timeout: float = 10.0
    webhook_max_attempts: int = 8
    webhook_backoff: float = 1.0
    webhook_backoff_max: float = 300.0
    webhook_disable_after: int = 50
    dispatch_interval: float = 0.2
    dispatch_webhooks: bool = True
    realistic_limits: RealisticLimits | None = None

    def __post_init__(self) -> None:
        if not self.api_keys:
            raise ValueError("SandboxConfig.api_keys must hold at least one key")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("SandboxConfig.rate must be positive (or None for instant processing)")

    @classmethod
    def instant(cls, **kwargs: Any) -> SandboxConfig:
        """A config whose batches and bank statements complete immediately."""
        kwargs.setdefault("rate", None)
        kwargs.setdefault("statement_delay", 0.0)
        return cls(**kwargs)

    @classmethod
    def realistic(cls, time_scale: float = 1.0, **kwargs: Any) -> SandboxConfig:
        """A config enforcing :class:`RealisticLimits` at ``time_scale`` (bank statements instant)."""
        kwargs.setdefault("realistic_limits", RealisticLimits(time_scale=time_scale))
        kwargs.setdefault("statement_delay", 0.0)
        return cls(**kwargs)
