"""Every setting of the enrichment pipeline, with its default, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ntropy_dagster.client import MAX_BATCH_SIZE, BatchPriority


@dataclass(frozen=True)
class PipelineOptions:
    """How partitions are submitted, waited for, checked and turned into marts.

    Attributes:
        batch_size: transactions per batch at most (1 to 24,960, the API's limit); a partition's last two
            batches are balanced (25,000 rows: 12,500 + 12,500).
        read_chunk_rows: raw rows read and validated at a time when the raw asset gives a streamed source
            (:mod:`ntropy_dagster.core.sources`) instead of a DataFrame: with the batches in flight, what
            bounds a run's memory.
        max_attempts: submissions of a chunk whose batch ended in ``error`` before it is marked failed.
        max_in_flight: batches processing at once for this API key (the API allows 10 enrichment
            operations per key); the submitter waits for a free slot.
        slot_timeout: seconds the submitter waits for a free slot.
        credit_bucket: the API key's credit bucket (1 credit per transaction; the API documents 100,000).
        credit_refill_per_second: credits the bucket regains per second (the API documents 1,000). The
            submitter sends a chunk only when the bucket, replayed from the batches this warehouse's
            ledger recorded, holds what the chunk costs, so the API never answers 429 for credits.
            Other users of the same key are not seen: lower these to leave them room.
        account_holder_rate: account holders created per second by every run on the warehouse together
            (``POST /v3/account_holders``: the API documents 100 requests per second).
        priority: the batches' ``priority`` on the API (``"default"`` or ``"low"``).
        blocking_timeout: seconds a blocking step (blocking mode, bank statements) waits for its remote work.
            While it waits, it stores each batch as soon as that one finishes.
        store_while_submitting: a blocking step also stores the finished batches while it submits: each
            POST is made from a thread of its own meanwhile, and a wait for a slot stores instead of
            sleeping (250,000 rows against the instant sandbox: about 0.85x of the hand-written script's
            time, 1.1x without). ``False`` keeps each POST on the step's thread and stores only while the
            step waits for its batches: slower, and a batch's results are never in memory beside the
            chunk being sent (a 1M-row partition peaked about 60 MB lower: 489 MB instead of 552).
        poll_interval: seconds between status polls inside a blocking step.
        error_rate_threshold: per-item error rate above which the ``item_error_rate`` check fails.
        marts_as_of: ``"data"``: recurring groups are active relative to the account holder's latest
            transaction; ``"today"``: relative to the run date.
        sensor_interval_seconds: seconds between ticks of the batch, statement-status and marts-automation
            sensors.
        discovery_interval_seconds: seconds between ticks of the statement discovery sensor.
        resume_after_seconds: a chunk still ``submitting`` this long after its intent was written belongs
            to a run that died or is waiting to prove an orphan batch its own: the batch sensor requests a
            ``ntropy_batches`` run for it (again every ``resume_after_seconds`` while it stays so).
        resend_after_seconds: a chunk whose POST may have reached the API without its answer reaching
            us (the request timed out or met a 5xx, or the run died after writing the intent) is sent
            again only once this long has passed since its intent without its batch appearing in the
            API's batch list; until then it waits for proof (the API may still be handling the request:
            sending at once could pay twice).
        tick_budget_seconds: time a sensor tick spends polling before it carries on at the next tick
            (Dagster stops a tick after 60 s; the default leaves 20 s of margin).
        step_max_retries: times Dagster re-runs a step that calls the API after a failure that may heal
            (a 5xx or network failure that outlived the client's own retries, a timeout); failures that
            retrying cannot fix (a 4xx such as a wrong key, a wholly rejected partition) are not retried.
            0 disables step retries.
        step_retry_delay_seconds: base wait before a step retry; it doubles with each retry
            (exponential backoff) and gets +/- this much jitter.
    """

    batch_size: int = MAX_BATCH_SIZE
    read_chunk_rows: int = 25_000
    max_attempts: int = 3
    max_in_flight: int = 10
    slot_timeout: float = 3600.0
    credit_bucket: int = 100_000
    credit_refill_per_second: float = 1_000.0
    account_holder_rate: float = 100.0
    priority: BatchPriority = "default"
    blocking_timeout: float = 3600.0
    store_while_submitting: bool = True
    poll_interval: float = 2.0
    error_rate_threshold: float = 0.05
    marts_as_of: Literal["data", "today"] = "data"
    sensor_interval_seconds: int = 30
    discovery_interval_seconds: int = 60
    tick_budget_seconds: float = 40.0
    resume_after_seconds: float = 600.0
    resend_after_seconds: float = 120.0
    step_max_retries: int = 3
    step_retry_delay_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}, got {self.batch_size}")
        for name in (
            "read_chunk_rows",
            "max_attempts",
            "max_in_flight",
            "credit_bucket",
            "sensor_interval_seconds",
            "discovery_interval_seconds",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in (
            "slot_timeout",
            "credit_refill_per_second",
            "account_holder_rate",
            "blocking_timeout",
            "poll_interval",
            "tick_budget_seconds",
            "resume_after_seconds",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("step_max_retries", "step_retry_delay_seconds", "resend_after_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if not 0 <= self.error_rate_threshold <= 1:
            raise ValueError(f"error_rate_threshold must be between 0 and 1, got {self.error_rate_threshold}")
        if self.marts_as_of not in ("data", "today"):
            raise ValueError(f"marts_as_of must be 'data' or 'today', got {self.marts_as_of!r}")


#: The name the submission settings had before every setting moved into :class:`PipelineOptions`.
SubmitOptions = PipelineOptions
