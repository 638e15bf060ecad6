"""Submit a partition's valid transactions as batches, exactly once per content.

Idempotency and crash safety come from the ledger (:mod:`ntropy_dagster.core.ledger`):

* the content hash of the partition's payloads identifies a submission; a re-run with the same content
  re-attaches to the recorded batches and submits nothing (the API bills per transaction);
* each chunk is recorded as ``submitting`` *before* its POST. If a run dies after the POST but before
  the batch id is recorded, the next run finds the intent row and adopts the remote batch (same size,
  created after the intent, never recorded by the ledger) instead of paying twice -- only once it is
  proven the chunk's own (its results hold exactly the chunk's ids, or no other chunk could claim it),
  so two crashed partitions never swap batches;
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
from ntropy_dagster.core.adoption import ADOPTION_PAGE_SIZE, orphan_candidates
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
from ntropy_dagster.core.status import CLOCK_SLACK, refresh_in_flight
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
    #: Chunks whose orphan batch cannot be proven theirs yet: neither adopted nor submitted this time.
    awaiting_proof: list[int] = field(default_factory=list)
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
            adopted = _adopt_orphan(client, ledger, row, chunk, known_ids)
            if adopted == AWAITING_PROOF:
                log.info(
                    f"Chunk {index} of partition {partition_key!r}: a batch that may be its own is still "
                    "processing and another chunk could claim it; waiting until its results prove whose it is"
                )
                result.awaiting_proof.append(index)
                continue
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


#: :func:`_adopt_orphan` found a candidate that may be the chunk's but cannot prove it yet.
AWAITING_PROOF = "awaiting proof"


def _adopt_orphan(
    client: NtropyClient,
    ledger: SubmissionLedger,
    row: LedgerRow,
    chunk: list[dict[str, Any]],
    known_ids: set[str],
) -> str | None:
    """Find the batch a crashed run created for ``row`` after recording its intent, proven to be its own.

    Candidates follow :func:`~ntropy_dagster.core.adoption.orphan_candidates` (same size, created after the
    intent, unknown to the ledger), oldest first. A completed candidate is adopted only when its results
    hold exactly the chunk's transaction ids; an errored one is never adopted (it has no results to prove
    it, and the chunk is submitted again instead). A processing candidate is adopted only when no other
    chunk waiting for adoption could have created it (same size, intent early enough); otherwise the
    chunk waits, neither adopting nor submitting, until a later call can prove it: :data:`AWAITING_PROOF`.
    Returns the adopted batch id, :data:`AWAITING_PROOF`, or None (nothing is the chunk's: submit it).
    """
    candidates = orphan_candidates(
        lambda since: client.batches.list(created_after=since, limit=ADOPTION_PAGE_SIZE),
        intent_at=row.submitted_at,
        known_ids=known_ids,
        matches=lambda b: b.total == len(chunk),
    )
    if not candidates:
        return None
    own_key = (row.partition_key, row.content_hash, row.chunk_index)
    rivals = [
        r.submitted_at
        for r in ledger.awaiting_adoption(len(chunk))
        if (r.partition_key, r.content_hash, r.chunk_index) != own_key and r.submitted_at is not None
    ]
    chunk_ids = {str(p["id"]) for p in chunk}
    awaiting = False
    for batch in candidates:
        if batch.status == ERROR:
            continue
        if batch.status == COMPLETED:
            proven = {str(r.get("id")) for r in client.batches.results_records(batch.id)} == chunk_ids
        else:
            created = batch.created_at
            proven = not any(created is None or at - CLOCK_SLACK <= created for at in rivals)
            awaiting = awaiting or not proven
        if proven:
            ledger.record_batch(
                row, batch_id=batch.id, status=batch.status, progress=batch.progress, total=batch.total
            )
            return batch.id
    return AWAITING_PROOF if awaiting else None


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
