"""Submit a partition's new and changed transactions as batches, each exactly once.

What is sent is decided by :mod:`ntropy_dagster.core.delta` (incremental submission: unchanged rows and
rows already in flight are not sent again; the API bills per transaction). Crash safety comes from the
ledger (:mod:`ntropy_dagster.core.ledger`):

* the partition is read chunk by chunk, and a full batch is sent as soon as the rows held back can fill
  the partition's last two, which are then sent as equal halves (:func:`balanced_sizes`): a partition
  is never held whole, whatever its size;
* each chunk is recorded as ``submitting``, with its members and payloads, *before* its POST. If a run dies after the
  POST but before the batch id is recorded, the next run finds the intent row and adopts the remote
  batch (same size, created after the intent, never recorded by the ledger) instead of paying twice --
  only once it is proven the chunk's own (its results hold exactly the chunk's ids, or no other chunk
  could claim it), so two crashed partitions never swap batches;
* a chunk whose batch ended in ``error`` is resubmitted on the next run, up to ``max_attempts``, with
  those of its transactions that are still in the partition unchanged (the others are superseded: sent
  in the new delta if changed, dropped if removed);
* at most ``max_in_flight`` batches are in flight at once (the API allows 10 concurrent enrichment
  operations per key), and a chunk is sent only when the credit bucket, as the ledger's own batches
  left it, holds what it costs: the intent is written only when the API has room for the chunk, in one
  transaction with the count, so concurrent runs never take the same slot
  (:meth:`~ntropy_dagster.core.ledger.SubmissionLedger.claim_slot`); the submitter waits otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import orjson

from ntropy_dagster._gc import gc_paused
from ntropy_dagster.client import NtropyClient
from ntropy_dagster.client.models import Batch
from ntropy_dagster.core.adoption import ADOPTION_PAGE_SIZE, orphan_candidates
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.delta import ChunkKey, Delta, PartitionScan, chunk_key, open_scan
from ntropy_dagster.core.errors import SlotTimeoutError
from ntropy_dagster.core.ledger import (
    COMPLETED,
    ERROR,
    FAILED,
    PROCESSING,
    SUBMITTING,
    SUPERSEDED,
    LedgerRow,
    SlotLimits,
    SubmissionLedger,
    pack_payloads,
)
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.results import decode_result_ids
from ntropy_dagster.core.status import CLOCK_SLACK, refresh_in_flight
from ntropy_dagster.core.validation import ValidatedInput, payloads_hash

logger = logging.getLogger(__name__)


class SideWork(Protocol):
    """What a blocking run does while a POST of its is in flight and while it waits for a slot
    (``PipelineOptions.store_while_submitting``): store the batches it sent as they finish
    (:class:`~ntropy_dagster.core.enrichment.FinishedBatchStore`)."""

    def sent(self, key: ChunkKey) -> None:
        """A chunk of this run was sent as a batch, its id recorded."""

    def store_next(self) -> bool:
        """Do one piece of the work; False when there is none to do now."""


@dataclass
class SubmissionResult:
    """What :func:`submit_partition` did."""

    partition_key: str
    #: The ledger key of the chunks this run sent: a hash of its first chunk and the batch size.
    content_hash: str
    batch_ids: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    reattached: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: Transactions sent in this run (the credits it spends).
    transactions_submitted: int = 0
    #: The partition's valid transactions by what a submission had to do with them.
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    in_flight: int = 0
    #: Transactions of earlier chunks that changed or left the partition before they could be sent again.
    superseded: int = 0
    request_ids: list[str] = field(default_factory=list)
    #: Chunks whose orphan batch cannot be proven theirs yet: neither adopted nor submitted this time.
    awaiting_proof: list[int] = field(default_factory=list)
    duration_seconds: float = 0.0
    #: What the pass over the partition found (the results step of a blocking run reads it again).
    scan: PartitionScan | None = field(default=None, repr=False, compare=False)


def submit_partition(
    client: NtropyClient,
    ledger: SubmissionLedger,
    validated: ValidatedInput | Iterable[ValidatedInput],
    *,
    partition_key: str,
    options: PipelineOptions | None = None,
    source: str = "raw",
    run_id: str | None = None,
    log: logging.Logger | Any = logger,
    sleep: Callable[[float], None] = time.sleep,
    scan: PartitionScan | None = None,
    side_work: SideWork | None = None,
) -> SubmissionResult:
    """Send what the partition's pending chunks and the enriched table do not hold yet (see the module doc).

    ``validated`` is the partition, whole or as the validated chunks of
    :func:`~ntropy_dagster.core.validation.validate_stream`: each chunk is sorted against the enriched
    table as it comes (:class:`~ntropy_dagster.core.delta.PartitionScan`) and its new and changed rows are
    sent in batches of ``options.batch_size``, the last ones balanced (:func:`balanced_sizes`), holding back
    at most two batches' rows, so the partition is never held whole. Then the pending chunks that earlier
    runs left: re-attached when processing or completed, adopted or resubmitted when left ``submitting``,
    resubmitted when their batch errored.

    With ``scan`` (the scan of an earlier call in this run: :attr:`SubmissionResult.scan`) no rows are
    read: only the pending chunks are carried on with.

    With ``side_work`` (blocking mode), every chunk sent is handed to it; with
    ``options.store_while_submitting`` too, each POST is made from a thread of its own while this one does
    the side work (stores the batches already finished), and so is each wait for a slot.
    """
    options = options or PipelineOptions()
    if scan is None:
        scan, chunks = open_scan(
            ledger, validated, partition_key=partition_key, source=source, batch_size=options.batch_size
        )
    else:
        chunks = iter(())
    submitter = _Submitter(client, ledger, options, partition_key, run_id, log, sleep, scan, side_work)
    result = submitter.result = SubmissionResult(partition_key, content_hash="", scan=scan)
    try:
        waiting = HeldRows()
        size = options.batch_size
        for part in chunks:
            waiting.add(scan.add(part))
            del part  # the chunk's rows are packed in ``waiting`` now: let their dicts go
            # A full batch goes as soon as the rows held back can still fill the partition's last two.
            while waiting.count >= 2 * size:
                submitter.send_new(waiting, size)
        for tail in balanced_sizes(waiting.count, size):
            submitter.send_new(waiting, tail)
        result.new, result.changed = scan.new, scan.changed
        result.unchanged, result.in_flight = scan.unchanged, scan.in_flight
        for row in ledger.pending(partition_key):
            if chunk_key(row) not in submitter.sent_now:
                submitter.resume(row, scan.members_of(ledger, row))
        if result.unchanged or result.in_flight:
            log.info(
                f"Partition {partition_key!r}: {result.new} new and {result.changed} changed transaction(s) to "
                f"send; {result.unchanged} unchanged and {result.in_flight} in flight are not sent again"
            )
    finally:
        submitter.close()
    return result


def balanced_sizes(rows: int, batch_size: int) -> list[int]:
    """The sizes of the fewest batches of at most ``batch_size`` that hold ``rows``, as equal as can be.

    A partition's last rows go in equal batches (25,000 rows as 12,500 + 12,500, not 24,960 + 40): as many
    operations and credits, but its last batch finishes sooner, and so does a backfill whose last batches
    run alone on the API.
    """
    if rows <= 0:
        return []
    count = -(-rows // batch_size)
    small, extra = divmod(rows, count)
    return [small + 1] * extra + [small] * (count - extra)


class HeldRows:
    """The new and changed rows read but not sent yet, in the order read.

    Up to two batches' rows wait here for the partition's balanced last two (:func:`balanced_sizes`). They
    are held packed, as JSON text (about 210 bytes a row instead of 730 as a dict): a partition's reading
    then holds the dicts of the chunk being read and of the chunk being sent only.
    """

    def __init__(self) -> None:
        self._parts: deque[tuple[bytes, list[str]]] = deque()
        #: Rows held.
        self.count = 0

    def add(self, delta: Delta) -> None:
        """Hold ``delta``'s rows after those held."""
        if delta.payloads:
            self._parts.append((orjson.dumps(delta.payloads), delta.fingerprints))
            self.count += len(delta.payloads)

    def take(self, rows: int) -> Delta:
        """The first ``rows`` rows held (all of them when fewer), no longer held."""
        taken = Delta()
        while len(taken.payloads) < rows and self._parts:
            packed, fingerprints = self._parts.popleft()
            with gc_paused():  # thousands of dicts at once
                payloads = orjson.loads(packed)
            need = rows - len(taken.payloads)
            if need < len(payloads):
                self._parts.appendleft((orjson.dumps(payloads[need:]), fingerprints[need:]))
                payloads, fingerprints = payloads[:need], fingerprints[:need]
            taken.payloads += payloads
            taken.fingerprints += fingerprints
        self.count -= len(taken.payloads)
        return taken


@dataclass
class _Submitter:
    """Sends chunks for one partition and records what became of each in :attr:`result`."""

    client: NtropyClient
    ledger: SubmissionLedger
    options: PipelineOptions
    partition_key: str
    run_id: str | None
    log: logging.Logger | Any
    sleep: Callable[[float], None]
    scan: PartitionScan
    side_work: SideWork | None = None
    result: SubmissionResult = field(init=False)
    #: The thread the POSTs are made from while storing (started with the first one).
    posts: ThreadPoolExecutor | None = None
    known_ids: set[str] | None = None
    #: Chunks sent by this call (not resumed again in it), and how many of them were new.
    sent_now: set[ChunkKey] = field(default_factory=set)
    new_chunks: int = 0

    @property
    def storing(self) -> SideWork | None:
        """The side work done during POSTs and slot waits (``options.store_while_submitting``), if any:
        otherwise it is only handed the chunks sent."""
        return self.side_work if self.options.store_while_submitting else None

    def close(self) -> None:
        """Let the POST thread end. Every POST is waited for before :meth:`send` returns or raises, but
        for an interrupt (``KeyboardInterrupt``, a terminated run): that one is not waited for here; its
        batch, if the API created it, is adopted by the next run (its intent is recorded)."""
        if self.posts is not None:
            self.posts.shutdown(wait=False)

    def send_new(self, waiting: HeldRows, size: int) -> None:
        """Send the first ``size`` rows of ``waiting`` (new and changed rows) as this run's next chunk.

        The chunks of one call share a content hash: the hash of its first chunk and the batch size.
        """
        taken = waiting.take(size)
        chunk, fingerprints = taken.payloads, taken.fingerprints
        result = self.result
        if not result.content_hash:
            result.content_hash = payloads_hash(chunk, self.options.batch_size)
        key = (self.partition_key, result.content_hash, self.new_chunks)
        self.new_chunks += 1
        members = {str(p["id"]): fp for p, fp in zip(chunk, fingerprints, strict=True)}
        self.scan.sent.add(key)
        self.scan.sent_rows += len(chunk)
        self.send(key, chunk, members, attempt=1)

    def resume(self, row: LedgerRow, members: dict[str, str]) -> None:
        """Carry on with a pending chunk an earlier run left (see :func:`submit_partition`)."""
        result, index = self.result, row.chunk_index
        if row.status in (PROCESSING, COMPLETED) and row.batch_id:
            result.reattached.append(row.batch_id)
            result.batch_ids.append(row.batch_id)
            return
        if row.status == FAILED:
            result.failed.append(row.batch_id or f"chunk {index}")
            return
        ids = self.scan.still_current(chunk_key(row), members)
        if not ids:
            self.ledger.mark_enriched([row], status=SUPERSEDED)
            result.superseded += len(members)
            self.log.info(
                f"Chunk {index} of partition {self.partition_key!r}: none of its {len(members)} transactions "
                "is in the partition unchanged any more; superseded, not sent again"
            )
            return
        if row.status == SUBMITTING:
            if self.known_ids is None:
                self.known_ids = self.ledger.known_batch_ids()
            adopted = _adopt_orphan(self.client, self.ledger, row, set(members), self.known_ids)
            if adopted == AWAITING_PROOF:
                self.log.info(
                    f"Chunk {index} of partition {self.partition_key!r}: a batch that may be its own is "
                    "still processing and another chunk could claim it; waiting until its results prove "
                    "whose it is"
                )
                result.awaiting_proof.append(index)
                return
            if adopted is not None:
                self.log.info(
                    f"Re-attached chunk {index} of partition {self.partition_key!r} to batch {adopted}"
                )
                self.known_ids.add(adopted)
                result.adopted.append(adopted)
                result.batch_ids.append(adopted)
                return
            grace = dt.timedelta(seconds=self.options.resend_after_seconds)
            if row.submitted_at is not None and utcnow() - row.submitted_at < grace:
                self.log.info(
                    f"Chunk {index} of partition {self.partition_key!r}: its POST of {row.submitted_at:%H:%M:%S} "
                    "got no answer and no batch of it is listed yet; the API may still be handling it, so it "
                    f"is sent again only {grace.total_seconds():.0f} s after its intent"
                )
                result.awaiting_proof.append(index)
                return
        attempt = row.attempt + (1 if row.status == ERROR else 0)
        if row.status == ERROR and attempt > self.options.max_attempts:
            message = f"batch {row.batch_id} ended in error {row.attempt} time(s); giving up on chunk {index}"
            self.ledger.mark_failed(row, message)
            self.log.error(message)
            result.failed.append(row.batch_id or f"chunk {index}")
            return
        result.superseded += len(members) - len(ids)
        payloads = self.scan.payloads_of(self.ledger, row, ids)
        resent = {i: members[i] for i in ids}
        # The chunk's members are those resent from now on: storing its batch later in this run (from this
        # scan) must expect those in its results, not the ones it had when the scan began.
        self.scan.members[chunk_key(row)] = resent
        self.send(chunk_key(row), payloads, resent, attempt=attempt)

    def send(
        self, key: ChunkKey, chunk: list[dict[str, Any]], members: dict[str, str], *, attempt: int
    ) -> None:
        """Record the chunk's intent, POST it as a batch, record the batch id."""
        partition_key, _, index = key
        self.sent_now.add(key)
        self._claim_slot(key, chunk, members, attempt)
        batch, side_failure = self._post(chunk)
        self.ledger.record_batch(
            key,
            batch_id=batch.id,
            status=batch.status,
            progress=batch.progress,
            total=batch.total or len(chunk),
            request_id=batch.request_id,
        )
        self.log.info(
            f"Submitted chunk {index} of partition {partition_key!r} ({len(chunk)} transactions) "
            f"as batch {batch.id} (attempt {attempt})"
        )
        result = self.result
        result.submitted.append(batch.id)
        result.batch_ids.append(batch.id)
        result.transactions_submitted += len(chunk)
        if batch.request_id:
            result.request_ids.append(batch.request_id)
        if self.side_work is not None:
            self.side_work.sent(key)
        if side_failure is not None:
            raise side_failure

    def _post(self, chunk: list[dict[str, Any]]) -> tuple[Batch, Exception | None]:
        """POST the chunk as a batch; with side work, do it meanwhile: the batch, and how the side work
        failed (raised once the batch is recorded, so that a failure of the side work loses no batch)."""
        # The payloads were validated against the client's own TransactionInput (core/validation.py).
        create = partial(self.client.batches.create, chunk, priority=self.options.priority, validate=False)
        work = self.storing
        if work is None:
            return create(), None
        if self.posts is None:  # one POST at a time, as without side work
            self.posts = ThreadPoolExecutor(1, "ntropy-post")
        future = self.posts.submit(create)
        try:
            while not future.done() and work.store_next():
                pass
        except Exception as exc:  # raised by send() once the batch is recorded
            return future.result(), exc
        return future.result(), None

    def _claim_slot(
        self, key: ChunkKey, chunk: list[dict[str, Any]], members: dict[str, str], attempt: int
    ) -> None:
        """Record the chunk's intent once the API has room for it (see :meth:`SubmissionLedger.claim_slot`),
        bringing the in-flight batches up to date while it waits."""
        options = self.options
        limits = SlotLimits(
            max_in_flight=options.max_in_flight,
            fresh_for=dt.timedelta(seconds=options.resume_after_seconds),
            credit_bucket=options.credit_bucket,
            credit_refill_per_second=options.credit_refill_per_second,
        )
        partition_key, content_hash, index = key
        chunk_hash = _chunk_hash(chunk)  # a hash and a packing of up to 24,960 payloads: once, not per wait
        payloads = pack_payloads(chunk)
        deadline = time.monotonic() + options.slot_timeout
        logged = False
        while True:
            refused = self.ledger.claim_slot(
                partition_key=partition_key,
                content_hash=content_hash,
                chunk_index=index,
                chunk_hash=chunk_hash,
                members=members,
                attempt=attempt,
                run_id=self.run_id,
                limits=limits,
                payloads=payloads,
            )
            if refused is None:
                return
            if time.monotonic() > deadline:
                raise SlotTimeoutError(
                    f"no room for chunk {index} after {options.slot_timeout:.0f}s: {refused}"
                )
            # Each batch is brought up to date by its own run (blocking mode) or by the batch sensor; a
            # waiting run checks only the oldest one, so that ten waiting runs do not poll every batch
            # (the API limits GET /v3/batches/{id} to 20 requests/s) and a batch whose run died is
            # still seen to finish.
            oldest = self.ledger.with_status([PROCESSING], limit=1)
            if oldest:
                summary = refresh_in_flight(self.client, self.ledger, rows=oldest)
                if summary.completed or summary.errored:
                    continue  # a slot freed: claim again at once
            if not logged:
                self.log.info(f"Chunk {index} of partition {partition_key!r} waits: {refused}")
                logged = True
            if (work := self.storing) is not None and work.store_next():
                continue  # a batch stored instead of sleeping
            self.sleep(options.poll_interval)


#: :func:`_adopt_orphan` found a candidate that may be the chunk's but cannot prove it yet.
AWAITING_PROOF = "awaiting proof"


def _adopt_orphan(
    client: NtropyClient,
    ledger: SubmissionLedger,
    row: LedgerRow,
    chunk_ids: set[str],
    known_ids: set[str],
) -> str | None:
    """Find the batch a crashed run created for ``row`` after recording its intent, proven to be its own.

    Candidates follow :func:`~ntropy_dagster.core.adoption.orphan_candidates` (same size, created after the
    intent, unknown to the ledger), oldest first. A completed candidate is adopted only when its results
    hold exactly the chunk's transaction ids (``chunk_ids``, its recorded members); an errored one is never adopted (it has no results to prove
    it, and the chunk is submitted again instead). A processing candidate is adopted only when no other
    chunk waiting for adoption could have created it (same size, intent early enough); otherwise the
    chunk waits, neither adopting nor submitting, until a later call can prove it: :data:`AWAITING_PROOF`.
    Returns the adopted batch id, :data:`AWAITING_PROOF`, or None (nothing is the chunk's: submit it).
    """
    candidates = orphan_candidates(
        lambda since: client.batches.list(created_after=since, limit=ADOPTION_PAGE_SIZE),
        intent_at=row.submitted_at,
        known_ids=known_ids,
        matches=lambda b: b.total == len(chunk_ids),
    )
    if not candidates:
        return None
    own_key = (row.partition_key, row.content_hash, row.chunk_index)
    rivals = [
        r.submitted_at
        for r in ledger.awaiting_adoption(len(chunk_ids))
        if (r.partition_key, r.content_hash, r.chunk_index) != own_key and r.submitted_at is not None
    ]
    awaiting = False
    for batch in candidates:
        if batch.status == ERROR:
            continue
        if batch.status == COMPLETED:
            proven = client.batches.results_decoded(batch.id, decode_result_ids) == chunk_ids
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


def _chunk_hash(chunk: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for payload in chunk:
        digest.update(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()[:32]
