"""Submit a partition's valid transactions as batches, exactly once per content.

Idempotency and crash safety come from the ledger (:mod:`ntropy_dagster.core.ledger`):

* the content hash of the partition's payloads identifies a submission; a re-run with the same content
  re-attaches to the recorded batches and submits nothing (the API bills per transaction);
* each chunk is recorded as ``submitting`` *before* its POST. If a run dies after the POST but before
  the batch id is recorded, the next run finds the intent row and adopts the remote batch (same size,
  created after the intent, not known to the ledger) instead of paying twice;
* a chunk whose batch ended in ``error`` is resubmitted on the next run, up to ``max_attempts``;
* at most ``max_in_flight`` batches are processing at once (the API allows 10 concurrent enrichment
  operations per key); the submitter waits for a free slot.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.adoption import ADOPTION_PAGE_SIZE, find_orphan
from ntropy_dagster.core.errors import SlotTimeoutError
from ntropy_dagster.core.ledger import (
    COMPLETED,
    ERROR,
    FAILED,
    PROCESSING,
    SUBMITTING,
    LedgerRow,
    SubmissionLedger,
)
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.status import refresh_in_flight
from ntropy_dagster.core.validation import ValidatedInput

logger = logging.getLogger(__name__)

#: Wait between status checks while waiting for a free in-flight slot.
SLOT_POLL_SECONDS = 2.0


@dataclass
class SubmissionResult:
    """What :func:`submit_partition` did."""

    partition_key: str
    content_hash: str
    batch_ids: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    reattached: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    transactions_submitted: int = 0
    request_ids: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0


def submit_partition(
    client: NtropyClient,
    ledger: SubmissionLedger,
    validated: ValidatedInput,
    *,
    partition_key: str,
    options: PipelineOptions | None = None,
    run_id: str | None = None,
    log: logging.Logger | Any = logger,
    sleep: Callable[[float], None] = time.sleep,
) -> SubmissionResult:
    """Submit the chunks of ``validated`` that are not already submitted for this content."""
    options = options or PipelineOptions()
    content_hash = validated.content_hash(options.batch_size)
    result = SubmissionResult(partition_key, content_hash)
    recorded = ledger.chunks(partition_key, content_hash)
    known_ids: set[str] | None = None
    for index, chunk in enumerate(validated.chunks(options.batch_size)):
        row = recorded.get(index)
        if row is not None and row.status in (PROCESSING, COMPLETED) and row.batch_id:
            result.reattached.append(row.batch_id)
            result.batch_ids.append(row.batch_id)
            continue
        if row is not None and row.status == FAILED:
            result.failed.append(row.batch_id or f"chunk {index}")
            continue
        if row is not None and row.status == SUBMITTING:
            if known_ids is None:
                known_ids = ledger.known_batch_ids()
            adopted = _adopt_orphan(client, ledger, row, len(chunk), known_ids)
            if adopted is not None:
                log.info(f"Re-attached chunk {index} of partition {partition_key!r} to batch {adopted}")
                known_ids.add(adopted)
                result.adopted.append(adopted)
                result.batch_ids.append(adopted)
                continue
        attempt = 1 if row is None else row.attempt + (1 if row.status == ERROR else 0)
        if row is not None and row.status == ERROR and attempt > options.max_attempts:
            message = f"batch {row.batch_id} ended in error {row.attempt} time(s); giving up on chunk {index}"
            ledger.mark_failed(row, message)
            log.error(message)
            result.failed.append(row.batch_id or f"chunk {index}")
            continue
        _wait_for_slot(client, ledger, options, log, sleep)
        ledger.record_intent(
            partition_key=partition_key,
            content_hash=content_hash,
            chunk_index=index,
            chunk_hash=_chunk_hash(chunk),
            total=len(chunk),
            attempt=attempt,
            run_id=run_id,
        )
        batch = client.batches.create(chunk, priority=options.priority)
        ledger.record_batch(
            (partition_key, content_hash, index),
            batch_id=batch.id,
            status=batch.status,
            progress=batch.progress,
            total=batch.total or len(chunk),
            request_id=batch.request_id,
        )
        log.info(
            f"Submitted chunk {index} of partition {partition_key!r} ({len(chunk)} transactions) "
            f"as batch {batch.id} (attempt {attempt})"
        )
        result.submitted.append(batch.id)
        result.batch_ids.append(batch.id)
        result.transactions_submitted += len(chunk)
        if batch.request_id:
            result.request_ids.append(batch.request_id)
    return result


def _adopt_orphan(
    client: NtropyClient, ledger: SubmissionLedger, row: LedgerRow, size: int, known_ids: set[str]
) -> str | None:
    """Find the batch a crashed run created for ``row`` after recording its intent, and record it.

    The rule is :func:`~ntropy_dagster.core.adoption.find_orphan`'s: here the match is a batch of exactly
    ``size`` items. The enriched step checks the returned ids against the submitted ones, so a wrong
    match cannot go unnoticed.
    """
    batch = find_orphan(
        lambda since: client.batches.list(created_after=since, limit=ADOPTION_PAGE_SIZE),
        intent_at=row.submitted_at,
        known_ids=known_ids,
        matches=lambda b: b.total == size,
    )
    if batch is None:
        return None
    ledger.record_batch(
        row, batch_id=batch.id, status=batch.status, progress=batch.progress, total=batch.total
    )
    return batch.id


def _wait_for_slot(
    client: NtropyClient,
    ledger: SubmissionLedger,
    options: PipelineOptions,
    log: logging.Logger | Any,
    sleep: Callable[[float], None],
) -> None:
    deadline = time.monotonic() + options.slot_timeout
    warned = False
    while True:
        # Intent rows left by a crashed run are not counted: they may never become batches.
        in_flight = ledger.with_status([PROCESSING])
        if len(in_flight) < options.max_in_flight:
            return
        refresh_in_flight(client, ledger, rows=in_flight)
        if len(ledger.with_status([PROCESSING])) < options.max_in_flight:
            return
        if time.monotonic() > deadline:
            raise SlotTimeoutError(
                f"{len(in_flight)} batches still processing after {options.slot_timeout:.0f}s; "
                f"the cap is {options.max_in_flight} in flight"
            )
        if not warned:
            log.info(f"{len(in_flight)} batches in flight (cap {options.max_in_flight}); waiting for a slot")
            warned = True
        sleep(SLOT_POLL_SECONDS)


def _chunk_hash(chunk: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for payload in chunk:
        digest.update(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()[:32]
