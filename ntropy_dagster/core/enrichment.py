"""Fetch a partition's finished batches and upsert them into the enriched-transactions table."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.errors import (
    BatchDetachedError,
    PartitionNotReadyError,
    PartitionNotSubmittedError,
    ResultMismatchError,
)
from ntropy_dagster.core.ledger import COMPLETED, FAILED, FINISHED_STATES, SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.results import flatten_results
from ntropy_dagster.core.status import wait_for_partition
from ntropy_dagster.core.submission import SubmissionResult, submit_partition
from ntropy_dagster.core.validation import ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass
class EnrichResult:
    """What :func:`store_partition_results` wrote."""

    partition_key: str
    content_hash: str
    rows_written: int = 0
    errored_items: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)
    batch_ids: list[str] = field(default_factory=list)
    failed_batch_ids: list[str] = field(default_factory=list)
    failure_messages: list[str] = field(default_factory=list)
    stale_rows_deleted: int = 0
    detached: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0


def store_partition_results(
    client: NtropyClient,
    ledger: SubmissionLedger,
    warehouse: Warehouse,
    validated: ValidatedInput,
    *,
    partition_key: str,
    batch_size: int,
    source: str = "raw",
    log: logging.Logger | Any = logger,
) -> EnrichResult:
    """Upsert the results of the partition's latest submission; idempotent.

    Batches are fetched and written one at a time, so memory holds one batch (<= 24,960 rows).
    Rows of the partition that the current content no longer contains are deleted afterwards.
    Chunks whose batch failed for good are reported in the result, not raised: the coverage check
    turns them into a failed, blocking check.
    """
    content_hash = validated.content_hash(batch_size)
    result = EnrichResult(partition_key, content_hash)
    stamp = utcnow()
    if not validated.payloads:
        # Nothing valid to enrich (an empty partition, or every row rejected): the partition's earlier
        # enriched rows are gone from its content, so they go from the table too.
        result.stale_rows_deleted = _delete_older_rows(warehouse, partition_key, source, stamp)
        log.info(
            f"Partition {partition_key!r} has no valid rows: {result.stale_rows_deleted} enriched row(s) removed"
        )
        return result
    rows = ledger.latest(partition_key)
    if not rows or rows[0].content_hash != content_hash:
        raise PartitionNotSubmittedError(
            f"partition {partition_key!r} has no submission of its current content (its raw data changed "
            "since it was submitted, or it was never submitted): submit it first"
        )
    unfinished = [r for r in rows if r.status not in FINISHED_STATES]
    unsent = [r for r in unfinished if r.batch_id is None]
    if unsent:
        raise PartitionNotSubmittedError(
            f"partition {partition_key!r}: chunk(s) {[r.chunk_index for r in unsent]} are not submitted yet "
            "(a submission was interrupted, or waits to prove whose an orphan batch is): submit it again"
        )
    if unfinished:
        raise PartitionNotReadyError(
            f"partition {partition_key!r} has {len(unfinished)} batch(es) not finished yet: "
            + ", ".join(f"{r.batch_id or 'chunk ' + str(r.chunk_index)} ({r.status})" for r in unfinished),
            batch_ids=[r.batch_id for r in unfinished if r.batch_id],
        )
    chunks = list(validated.chunks(batch_size))
    for row in rows:
        if row.status == FAILED or row.batch_id is None:
            result.failed_batch_ids.append(row.batch_id or f"chunk {row.chunk_index}")
            result.failure_messages.append(row.error_message or "batch failed")
            continue
        assert row.status == COMPLETED
        records = client.batches.results_records(row.batch_id)
        try:
            enriched = flatten_results(
                records,
                chunks[row.chunk_index],
                batch_id=row.batch_id,
                partition_key=partition_key,
                source=source,
                enriched_at=stamp,
            )
        except ResultMismatchError as exc:
            # Not this chunk's batch (an adoption the results disprove): detach it and submit the chunk again.
            ledger.detach(row, str(exc))
            result.detached.append(row.batch_id)
            log.warning(f"Detached batch {row.batch_id} from chunk {row.chunk_index}: {exc}")
            continue
        result.rows_written += warehouse.upsert("enriched_transactions", enriched)
        codes = enriched.column("error_code").drop_null().to_pylist()
        result.errored_items += len(codes)
        result.error_codes.update(codes)
        result.batch_ids.append(row.batch_id)
        log.info(f"Stored {enriched.num_rows} enriched transactions of batch {row.batch_id}")
    if result.detached:
        raise BatchDetachedError(
            f"partition {partition_key!r}: batch(es) {result.detached} did not hold their chunk's "
            "transactions and were detached; the chunks are submitted again, then the partition is enriched",
            batch_ids=result.detached,
        )
    result.stale_rows_deleted = _delete_older_rows(warehouse, partition_key, source, stamp)
    ledger.mark_enriched(partition_key, content_hash)
    return result


def _delete_older_rows(warehouse: Warehouse, partition_key: str, source: str, stamp: dt.datetime) -> int:
    """Delete the partition's rows of ``source`` written before ``stamp``: rows its content no longer has."""
    table = warehouse.tables.enriched_transactions
    with warehouse.begin() as conn:
        deleted = conn.execute(
            sa.delete(table).where(
                (table.c.partition_key == partition_key)
                & (table.c.source == source)
                & (table.c.enriched_at < stamp)
            )
        )
    return deleted.rowcount or 0


def submit_wait_and_store(
    client: NtropyClient,
    warehouse: Warehouse,
    validated: ValidatedInput,
    *,
    partition_key: str,
    options: PipelineOptions,
    source: str = "raw",
    run_id: str | None = None,
    log: logging.Logger | Any = logger,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[SubmissionResult, EnrichResult]:
    """The blocking path of one partition: submit what is new, wait for the batches, store the results.

    Used by blocking mode and by the bank-statement path; the sensor mode runs the same steps in two runs
    (submission, then the results when the sensor sees the batches finish). A chunk whose orphan batch
    awaits proof is submitted again (re-checked) every ``poll_interval``; a chunk detached because its
    batch's results did not match is submitted again in the next round, up to ``max_attempts`` rounds.
    """
    ledger = SubmissionLedger(warehouse)
    deadline = time.monotonic() + options.blocking_timeout
    for _round in range(options.max_attempts):
        started = time.monotonic()
        while True:
            submission = submit_partition(
                client,
                ledger,
                validated,
                partition_key=partition_key,
                options=options,
                run_id=run_id,
                log=log,
            )
            if not submission.awaiting_proof or time.monotonic() >= deadline:
                break
            sleep(options.poll_interval)
        submission.duration_seconds = time.monotonic() - started
        wait_for_partition(
            client,
            ledger,
            partition_key,
            timeout=max(deadline - time.monotonic(), 0.0),
            poll_interval=options.poll_interval,
            sleep=sleep,
            log=log,
        )
        try:
            result = store_partition_results(
                client,
                ledger,
                warehouse,
                validated,
                partition_key=partition_key,
                batch_size=options.batch_size,
                source=source,
                log=log,
            )
        except BatchDetachedError as exc:
            log.warning(f"{exc}; submitting again")
            continue
        return submission, result
    raise BatchDetachedError(
        f"partition {partition_key!r}: batches kept failing to hold their chunks after {options.max_attempts} "
        "rounds",
        batch_ids=submission.batch_ids,
    )
