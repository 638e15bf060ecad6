"""Fetch a partition's finished batches and upsert them into the enriched-transactions table."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ntropy_dagster._gc import older_objects_frozen, release_memory
from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.delta import ChunkKey, PartitionScan, chunk_key, open_scan
from ntropy_dagster.core.errors import (
    BatchDetachedError,
    PartitionNotReadyError,
    PartitionNotSubmittedError,
)
from ntropy_dagster.core.ledger import (
    COMPLETED,
    FAILED,
    FINISHED_STATES,
    PROCESSING,
    SUPERSEDED,
    LedgerRow,
    SubmissionLedger,
)
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.rejected import remove_stale_enriched
from ntropy_dagster.core.results import decode_results, flatten_results
from ntropy_dagster.core.status import refresh_in_flight, wait_for_partition
from ntropy_dagster.core.submission import SubmissionResult, submit_partition
from ntropy_dagster.core.validation import ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass
class EnrichResult:
    """What :func:`store_partition_results` wrote."""

    partition_key: str
    #: The partition's valid transactions: what the enriched table holds for it once every chunk is stored.
    valid_rows: int = 0
    rows_written: int = 0
    errored_items: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)
    batch_ids: list[str] = field(default_factory=list)
    failed_batch_ids: list[str] = field(default_factory=list)
    failure_messages: list[str] = field(default_factory=list)
    #: Enriched rows removed because the partition no longer has them as valid rows.
    stale_rows_deleted: int = 0
    #: Results not stored because their transaction changed (sent again) or left the partition since.
    stale_results: int = 0
    detached: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0


@older_objects_frozen()  # the per-batch collection walks only what storing made
def store_partition_results(
    client: NtropyClient,
    ledger: SubmissionLedger,
    warehouse: Warehouse,
    validated: ValidatedInput | Iterable[ValidatedInput] = (),
    *,
    partition_key: str,
    batch_size: int,
    source: str = "raw",
    log: logging.Logger | Any = logger,
    scan: PartitionScan | None = None,
    result: EnrichResult | None = None,
) -> EnrichResult:
    """Upsert the results of the partition's pending chunks; idempotent.

    ``validated`` is the partition, whole or as validated chunks (see :func:`submit_partition`); with
    ``scan`` (a blocking run's submission read the partition already) it is not read again. Batches are
    fetched and written one at a time with the payloads their intent recorded, so memory holds one batch
    (<= 24,960 rows). A result is stored only when its transaction is still in the partition as it was
    sent (same fingerprint). Rows the partition no longer has as valid rows are deleted. Chunks whose batch
    failed for good are reported in the result, not raised: the coverage check turns them into a failed,
    blocking check. With ``result`` (what :class:`FinishedBatchStore` stored earlier in this run), the
    counts go on from it.

    Raises :class:`PartitionNotReadyError` while a chunk is processing (or awaits resubmission),
    :class:`PartitionNotSubmittedError` when a chunk was never sent or, after storing what is ready, some
    of the partition's transactions are new or changed and in no submission, and
    :class:`BatchDetachedError` when a batch's results did not hold its chunk's transactions.
    """
    if scan is None:
        scan, chunks = open_scan(
            ledger, validated, partition_key=partition_key, source=source, batch_size=batch_size
        )
        for part in chunks:
            scan.add(part)
    if result is None:
        result = EnrichResult(partition_key)
    result.valid_rows = scan.valid_rows
    live: list[LedgerRow] = []
    for row in ledger.pending(partition_key):
        # A chunk sent from this scan is current as a whole: its members are read when it is stored,
        # one chunk at a time (all of a large partition's members would be its every id).
        if chunk_key(row) in scan.sent or scan.still_current(chunk_key(row), scan.members_of(ledger, row)):
            live.append(row)
        else:  # nothing of it is left to store, whatever its batch does
            ledger.mark_enriched([row], status=SUPERSEDED)
    _raise_unless_finished(partition_key, live)
    stamp, stored = utcnow(), []
    for row in live:
        if row.status == FAILED or row.batch_id is None:
            result.failed_batch_ids.append(row.batch_id or f"chunk {row.chunk_index}")
            result.failure_messages.append(row.error_message or "batch failed")
            stored.append(row)
            continue
        members = scan.members_of(ledger, row)
        if _store_batch(
            client,
            ledger,
            warehouse,
            row,
            members,
            scan.still_current(chunk_key(row), members),
            partial(scan.payloads_of, ledger, row),
            result,
            source=source,
            stamp=stamp,
            log=log,
        ):
            stored.append(row)
    ledger.mark_enriched(stored)
    result.stale_rows_deleted = remove_stale_enriched(warehouse, partition_key, scan.seen)
    if result.stale_rows_deleted:
        log.info(f"Removed {result.stale_rows_deleted} enriched row(s) the partition no longer has")
    if result.detached:
        raise _detached(partition_key, result.detached)
    if scan.unsent:
        raise PartitionNotSubmittedError(
            f"partition {partition_key!r}: {scan.new} new and {scan.changed} changed transaction(s) are in "
            "no submission (the raw data changed since the partition was submitted, or it never was): "
            "submit it first; what was ready is stored"
        )
    return result


def _store_batch(
    client: NtropyClient,
    ledger: SubmissionLedger,
    warehouse: Warehouse,
    row: LedgerRow,
    members: dict[str, str],
    current: list[str],
    payloads_of: Callable[[list[str]], list[dict[str, Any]]],
    result: EnrichResult,
    *,
    source: str,
    stamp: dt.datetime,
    log: logging.Logger | Any = logger,
) -> bool:
    """Fetch one completed batch's results and upsert those of ``current`` (its chunk's ``members`` still
    in the partition unchanged) with their ``payloads_of``, counted in ``result``.

    Returns False when the results do not hold the chunk's transactions: the batch is detached (named in
    ``result.detached``) and the chunk is to be submitted again.
    """
    assert row.batch_id is not None
    records = client.batches.results_decoded(row.batch_id, decode_results)
    if {r.id for r in records} != members.keys():
        message = f"batch {row.batch_id} results do not hold the {len(members)} transactions of its chunk"
        # Not this chunk's batch (an adoption the results disprove): detach it and submit the chunk again.
        ledger.detach(row, message)
        result.detached.append(row.batch_id)
        log.warning(f"Detached batch {row.batch_id} from chunk {row.chunk_index}: {message}")
        return False
    keep = set(current)
    table = flatten_results(
        [r for r in records if r.id in keep],
        payloads_of(current),
        batch_id=row.batch_id,
        partition_key=row.partition_key,
        source=source,
        enriched_at=stamp,
        fingerprints=[members[i] for i in current],
    )
    result.stale_results += len(members) - len(current)
    del records  # one batch's rows at a time
    result.rows_written += warehouse.upsert("enriched_transactions", table)
    codes = table.column("error_code").drop_null().to_pylist()
    result.errored_items += len(codes)
    result.error_codes.update(codes)
    result.batch_ids.append(row.batch_id)
    log.info(f"Stored {table.num_rows} enriched transactions of batch {row.batch_id}")
    del table
    release_memory()
    return True


class FinishedBatchStore:
    """A blocking run's batches stored as they finish, while the run goes on submitting and waiting.

    The run tells it each chunk it sent (:meth:`sent`); :meth:`store_next` is the work it does while it
    waits for its batches (and, with ``PipelineOptions.store_while_submitting``, while a POST is in flight
    and while it waits for a slot): it brings the oldest of those batches up to date (one
    ``GET /v3/batches/{id}``) and stores it once it completed, so the warehouse writes of one batch overlap
    the API's work on the others instead of all coming after it.
    Each stored chunk is marked enriched at once; what is left (and errored batches) is stored by
    :func:`store_partition_results`, whose counts go on from :attr:`result`.
    """

    def __init__(
        self,
        client: NtropyClient,
        ledger: SubmissionLedger,
        warehouse: Warehouse,
        partition_key: str,
        *,
        source: str = "raw",
        log: logging.Logger | Any = logger,
    ) -> None:
        self.client, self.ledger, self.warehouse, self.log = client, ledger, warehouse, log
        self.source = source
        self.result = EnrichResult(partition_key)
        self._queue: deque[ChunkKey] = deque()

    def sent(self, key: ChunkKey) -> None:
        """``key`` is a chunk of this run's scan, sent as a batch (its id recorded): store it once it finishes."""
        self._queue.append(key)

    def store_next(self, *, refresh: bool = True) -> bool:
        """Store the oldest sent batch if it completed; False when there was nothing to do yet.

        ``refresh=False`` takes the batch's status as the ledger has it (the caller has just polled it).
        """
        while self._queue:
            partition_key, content_hash, index = self._queue[0]
            row = self.ledger.chunks(partition_key, content_hash).get(index)
            if row is None or row.batch_id is None or row.enriched_at is not None:
                self._queue.popleft()
                continue
            if row.status == PROCESSING and refresh:
                refresh_in_flight(self.client, self.ledger, rows=[row])
                row = self.ledger.chunks(partition_key, content_hash)[index]
            if row.status == PROCESSING:
                return False
            self._queue.popleft()
            if row.status != COMPLETED:  # errored: left to the end of the run (resubmitted or failed)
                continue
            members = self.ledger.members(row)
            # A chunk of this run's scan: every member is current, its payloads are in its intent.
            if _store_batch(
                self.client,
                self.ledger,
                self.warehouse,
                row,
                members,
                sorted(members),
                partial(_recorded_payloads, self.ledger, row),
                self.result,
                source=self.source,
                stamp=utcnow(),
                log=self.log,
            ):
                self.ledger.mark_enriched([row])
            return True
        return False


def _recorded_payloads(ledger: SubmissionLedger, row: LedgerRow, ids: list[str]) -> list[dict[str, Any]]:
    """The payloads of ``ids`` as the chunk's intent recorded them."""
    sent = {str(p["id"]): p for p in ledger.payloads(row) or ()}
    return [sent[i] for i in ids]


def _detached(partition_key: str, batch_ids: list[str]) -> BatchDetachedError:
    return BatchDetachedError(
        f"partition {partition_key!r}: batch(es) {batch_ids} did not hold their chunk's transactions and "
        "were detached; the chunks are submitted again, then the partition is enriched",
        batch_ids=batch_ids,
    )


def _raise_unless_finished(partition_key: str, rows: list[LedgerRow]) -> None:
    """Raise when a chunk with something left to store was never sent or has not finished."""
    unsent = [r for r in rows if r.batch_id is None and r.status not in FINISHED_STATES]
    if unsent:
        raise PartitionNotSubmittedError(
            f"partition {partition_key!r}: chunk(s) {[r.chunk_index for r in unsent]} are not submitted yet "
            "(a submission was interrupted, or waits to prove whose an orphan batch is): submit it again"
        )
    unfinished = [r for r in rows if r.status not in FINISHED_STATES]
    if unfinished:
        raise PartitionNotReadyError(
            f"partition {partition_key!r} has {len(unfinished)} batch(es) not finished yet: "
            + ", ".join(f"{r.batch_id or 'chunk ' + str(r.chunk_index)} ({r.status})" for r in unfinished),
            batch_ids=[r.batch_id for r in unfinished if r.batch_id],
        )


@older_objects_frozen()  # the per-batch collections walk only what this partition made
def submit_wait_and_store(
    client: NtropyClient,
    warehouse: Warehouse,
    validated: ValidatedInput | Iterable[ValidatedInput],
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
    (submission, then the results when the sensor sees the batches finish). Here each batch is stored as
    soon as it finishes while the run waits for the others (:class:`FinishedBatchStore`); with
    ``options.store_while_submitting``, also while the next POST is in flight and while it waits for a
    slot. A chunk whose orphan batch awaits proof is submitted again (re-checked) every ``poll_interval``;
    a chunk detached because its batch's results did not match is submitted again in the next round, up
    to ``max_attempts`` rounds.
    """
    ledger = SubmissionLedger(warehouse)
    deadline = time.monotonic() + options.blocking_timeout
    scan: PartitionScan | None = None  # the partition is read once, by the first submission
    for _round in range(options.max_attempts):
        started = time.monotonic()
        finished = FinishedBatchStore(client, ledger, warehouse, partition_key, source=source, log=log)
        while True:
            submission = submit_partition(
                client,
                ledger,
                validated,
                partition_key=partition_key,
                options=options,
                source=source,
                run_id=run_id,
                log=log,
                scan=scan,
                side_work=finished,
            )
            scan = submission.scan
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
            while_waiting=partial(finished.store_next, refresh=False),  # it polls the batches itself
        )
        try:
            if finished.result.detached:  # found while storing the batches as they finished
                raise _detached(partition_key, finished.result.detached)
            result = store_partition_results(
                client,
                ledger,
                warehouse,
                partition_key=partition_key,
                batch_size=options.batch_size,
                source=source,
                log=log,
                scan=scan,
                result=finished.result,
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
