"""The durable record of what was submitted to Ntropy: one row per (partition, submission, chunk).

It lives in the warehouse (table ``<prefix>batches``), never in process memory, so a run on another
process, the sensor daemon and a re-run after a crash all see the same state. A submission is the set of
a partition's transactions that were new or changed when it was made (``content_hash`` hashes them); each
chunk row keeps its ``members`` (transaction ids and fingerprints), so what a batch was sent is known
without the raw data of that day, and its ``payloads`` (what was sent), so its results are stored and
the chunk resent without holding the partition in memory. The life of a row:

``submitting`` (written *before* the POST) -> ``processing`` (batch id recorded) -> ``completed`` |
``error`` (remote status, or results that did not match the chunk: detached) -> ``failed`` (error and
out of resubmission attempts). ``superseded``: every transaction of a chunk that was never sent (or must
be sent again) changed or left the partition first. A row is *pending* until ``enriched_at`` is set:
when the enriched table holds its results (or it failed or was superseded, and nothing is left to store).
When a chunk is submitted again, its earlier batch id moves to ``previous_batch_ids``: the history is
kept, and no earlier batch of a chunk is ever adopted again.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from ntropy_dagster._gc import gc_paused
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.state import COMPLETED, ERROR, PROCESSING, WarehouseState, utc_aware

__all__ = [
    "COMPLETED",
    "ERROR",
    "FAILED",
    "FINISHED_STATES",
    "PROCESSING",
    "SUBMITTING",
    "SUPERSEDED",
    "UNPARTITIONED",
    "LedgerRow",
    "ReadyPartition",
    "SlotLimits",
    "SubmissionLedger",
    "batch_ids",
    "credits_left",
    "pack_members",
    "pack_payloads",
    "unpack_members",
    "unpack_payloads",
]

SUBMITTING = "submitting"
FAILED = "failed"
SUPERSEDED = "superseded"
FINISHED_STATES = frozenset({COMPLETED, FAILED})
#: Partition key recorded for unpartitioned pipelines.
UNPARTITIONED = "__all__"
#: The PostgreSQL advisory lock that serialises slot claims (any constant shared by every process).
SLOT_LOCK_KEY = 0x6E74736C6F74  # "ntslot"
#: Serialises the slot claims of one process's threads (DuckDB's transactions would not: they only
#: conflict on the same row, and a DuckDB file is written by one process at a time anyway).
_SLOT_CLAIMS = threading.Lock()


@dataclass(frozen=True)
class LedgerRow:
    """One submitted (or about to be submitted) chunk of a partition."""

    partition_key: str
    content_hash: str
    chunk_index: int
    chunk_hash: str
    batch_id: str | None
    status: str
    progress: int
    total: int
    attempt: int
    submitted_at: dt.datetime | None
    error_message: str | None
    enriched_at: dt.datetime | None


@dataclass(frozen=True)
class SlotLimits:
    """What :meth:`SubmissionLedger.claim_slot` lets in flight at once (see
    :class:`~ntropy_dagster.core.options.PipelineOptions`)."""

    max_in_flight: int
    #: An intent older than this belongs to a run that died (the batch sensor resumes it): no slot.
    fresh_for: dt.timedelta
    credit_bucket: int
    credit_refill_per_second: float
    #: An intent is written just before its POST, which the API counts a little later (see
    #: :func:`credits_left`).
    credit_slack: dt.timedelta = dt.timedelta(seconds=1)

    @property
    def refill_time(self) -> dt.timedelta:
        """The time the bucket takes to refill from empty."""
        return dt.timedelta(seconds=self.credit_bucket / self.credit_refill_per_second)


#: The ledger's submissions of the last this-many refill times are replayed to estimate the bucket.
CREDIT_HORIZON = 10


def credits_left(
    spent: Iterable[tuple[dt.datetime, int]],
    at: dt.datetime,
    *,
    bucket: int,
    refill_per_second: float,
    horizon: dt.timedelta,
    slack: dt.timedelta = dt.timedelta(0),
) -> float:
    """A lower bound of the credits a token bucket (``bucket`` at most, refilled at ``refill_per_second``)
    holds at ``at`` after the POSTs ``spent`` (time, credits).

    The bucket is replayed from empty at ``at - horizon`` (it holds at least nothing then), each POST
    counted ``slack`` after its time (the API takes the credits when the request arrives, after the
    intent was written). With a horizon of several refill times, an idle bucket is estimated full and a
    bucket kept busy by the ledger's own batches is tracked as the API tracks it. Credits that other
    users of the same key spend are not seen.
    """
    level, clock = 0.0, at - horizon
    for when, credits in sorted(spent):
        when += slack
        if when > clock:
            level, clock = (
                min(float(bucket), level + refill_per_second * (when - clock).total_seconds()),
                when,
            )
        level = max(level - credits, 0.0)
    if at > clock:
        level = min(float(bucket), level + refill_per_second * (at - clock).total_seconds())
    return level


@dataclass(frozen=True)
class ReadyPartition:
    """A partition whose pending chunks have all finished remotely: their results can be stored."""

    partition_key: str
    #: The newest pending submission's hash.
    content_hash: str
    batch_ids: tuple[str, ...]
    failed_batch_ids: tuple[str, ...]


class SubmissionLedger(WarehouseState[LedgerRow]):
    """Reads and writes the batches table of a :class:`~ntropy_dagster.core.warehouse.Warehouse`."""

    logical = "batches"
    row_type = LedgerRow
    order_by = ("submitted_at", "partition_key", "chunk_index")

    def chunks(self, partition_key: str, content_hash: str) -> dict[int, LedgerRow]:
        """The chunks recorded for one submission, by chunk index."""
        rows = self._select(self._where(partition_key=partition_key, content_hash=content_hash))
        return {row.chunk_index: row for row in rows}

    def pending(self, partition_key: str) -> list[LedgerRow]:
        """The partition's chunks whose results are not in the enriched table yet, oldest first."""
        t = self._t
        return self._select((t.c.partition_key == partition_key) & t.c.enriched_at.is_(None))

    def members(self, row: LedgerRow) -> dict[str, str]:
        """The transaction ids the chunk was (or is about to be) sent, with their fingerprints."""
        t = self._t
        where = self._where(
            partition_key=row.partition_key, content_hash=row.content_hash, chunk_index=row.chunk_index
        )
        with self._wh.engine.connect() as conn:
            packed = conn.execute(sa.select(t.c.members).where(where)).scalar()
        return unpack_members(packed) if packed else {}

    def payloads(self, row: LedgerRow) -> list[dict[str, Any]] | None:
        """The transactions the chunk was sent, in member order (None: recorded before payloads were)."""
        t = self._t
        where = self._where(
            partition_key=row.partition_key, content_hash=row.content_hash, chunk_index=row.chunk_index
        )
        with self._wh.engine.connect() as conn:
            packed = conn.execute(sa.select(t.c.payloads).where(where)).scalar()
        return unpack_payloads(packed) if packed else None

    def with_status(self, statuses: Iterable[str], limit: int | None = None) -> list[LedgerRow]:
        """Rows in any of ``statuses``, oldest submission first."""
        return self._select(self._t.c.status.in_(list(statuses)), limit=limit)

    def known_batch_ids(self) -> set[str]:
        """Every batch id the ledger has recorded, current or earlier (errored, detached)."""
        earlier = {batch_id for text in self._recorded("previous_batch_ids") for batch_id in json.loads(text)}
        return self._recorded("batch_id") | earlier

    def awaiting_adoption(self, total: int) -> list[LedgerRow]:
        """Intent rows of ``total`` items without a batch id: the chunks that may claim an orphan of that size."""
        t = self._t
        return self._select((t.c.status == SUBMITTING) & t.c.batch_id.is_(None) & (t.c.total == total))

    def stale_intents(self, older_than: dt.timedelta) -> list[LedgerRow]:
        """``submitting`` rows written more than ``older_than`` ago: their run died or gave up."""
        t = self._t
        return self._select((t.c.status == SUBMITTING) & (t.c.submitted_at < utcnow() - older_than))

    def _history(self, key: tuple[str, str, int]) -> str | None:
        """The row's earlier batch ids with its current one appended (JSON), for a new submission."""
        partition_key, content_hash, chunk_index = key
        t = self._t
        where = self._where(partition_key=partition_key, content_hash=content_hash, chunk_index=chunk_index)
        with self._wh.engine.connect() as conn:
            found = conn.execute(sa.select(t.c.batch_id, t.c.previous_batch_ids).where(where)).first()
        if found is None:
            return None
        earlier: list[str] = json.loads(found[1]) if found[1] else []
        if found[0] and found[0] not in earlier:
            earlier.append(found[0])
        return json.dumps(earlier) if earlier else None

    def record_intent(
        self,
        *,
        partition_key: str,
        content_hash: str,
        chunk_index: int,
        chunk_hash: str,
        members: Mapping[str, str],
        attempt: int,
        run_id: str | None,
        payloads: str | None = None,
    ) -> None:
        """Write the chunk, its ``members`` (id -> fingerprint) and ``payloads`` (in member order, packed
        by :func:`pack_payloads`) as ``submitting`` before the POST, so a crash after it can be resumed.

        A chunk submitted again keeps its earlier batch id in ``previous_batch_ids``.
        """
        key = (partition_key, content_hash, chunk_index)
        self._upsert([self._intent(key, chunk_hash, members, payloads, attempt, run_id)])

    def claim_slot(
        self,
        *,
        partition_key: str,
        content_hash: str,
        chunk_index: int,
        chunk_hash: str,
        members: Mapping[str, str],
        attempt: int,
        run_id: str | None,
        limits: SlotLimits,
        payloads: str | None = None,
    ) -> str | None:
        """Record the chunk's intent (as :meth:`record_intent`) only if the API has room for it now.

        Room means fewer than ``limits.max_in_flight`` other chunks in flight (``processing``, or
        ``submitting`` with an intent younger than ``limits.fresh_for``: another run between its intent
        and its POST) and credits for the chunk in the bucket as the ledger's own submissions left it
        (:func:`credits_left`). The count and the write are one transaction, serialised across processes
        (SQLite's write lock, a PostgreSQL advisory lock; a lock of the process for threads), so
        concurrent runs never take the same slot. Returns None when the intent was recorded, else why
        not (for the log).
        """
        key = (partition_key, content_hash, chunk_index)
        t, now = self._t, utcnow()
        others = sa.not_(
            sa.and_(
                t.c.partition_key == partition_key,
                t.c.content_hash == content_hash,
                t.c.chunk_index == chunk_index,
            )
        )
        fresh_intent = sa.and_(t.c.status == SUBMITTING, t.c.submitted_at >= now - limits.fresh_for)
        in_flight = sa.select(sa.func.count()).where(others, sa.or_(t.c.status == PROCESSING, fresh_intent))
        recent = sa.select(t.c.submitted_at, t.c.total).where(
            others, t.c.submitted_at >= now - CREDIT_HORIZON * limits.refill_time, t.c.status != SUPERSEDED
        )
        with _SLOT_CLAIMS, self._wh.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SLOT_LOCK_KEY})
            busy = int(conn.execute(in_flight).scalar_one())
            if busy >= limits.max_in_flight:
                return f"{busy} batches in flight (cap {limits.max_in_flight})"
            left = credits_left(
                [(utc_aware(at), int(total)) for at, total in conn.execute(recent)],
                now,
                bucket=limits.credit_bucket,
                refill_per_second=limits.credit_refill_per_second,
                horizon=CREDIT_HORIZON * limits.refill_time,
                slack=limits.credit_slack,
            )
            if left < min(len(members), limits.credit_bucket):
                return (
                    f"about {max(left, 0):,.0f} credits left in the bucket of {limits.credit_bucket:,} "
                    f"(refilled at {limits.credit_refill_per_second:,.0f}/s); the chunk needs {len(members):,}"
                )
            self._wh.upsert(
                self.logical, [self._intent(key, chunk_hash, members, payloads, attempt, run_id)], conn=conn
            )
        return None

    def _intent(
        self,
        key: tuple[str, str, int],
        chunk_hash: str,
        members: Mapping[str, str],
        payloads: str | None,
        attempt: int,
        run_id: str | None,
    ) -> dict[str, object]:
        now = utcnow()
        partition_key, content_hash, chunk_index = key
        return {
            "partition_key": partition_key,
            "content_hash": content_hash,
            "chunk_index": chunk_index,
            "chunk_hash": chunk_hash,
            "members": pack_members(members),
            "payloads": payloads,
            "batch_id": None,
            "previous_batch_ids": self._history(key),
            "status": SUBMITTING,
            "progress": 0,
            "total": len(members),
            "attempt": attempt,
            "submitted_at": now,
            "updated_at": now,
            "completed_at": None,
            "error_message": None,
            "request_id": None,
            "run_id": run_id,
            "enriched_at": None,
        }

    def record_batch(
        self,
        row: LedgerRow | tuple[str, str, int],
        *,
        batch_id: str,
        status: str,
        progress: int,
        total: int,
        request_id: str | None = None,
    ) -> None:
        """Attach the remote batch id to a chunk (after submitting or adopting it)."""
        key = (row.partition_key, row.content_hash, row.chunk_index) if isinstance(row, LedgerRow) else row
        self._update_key(
            key,
            batch_id=batch_id,
            status=status,
            progress=progress,
            total=total,
            request_id=request_id,
            completed_at=utcnow() if status == COMPLETED else None,
        )

    def update_status(
        self, batch_id: str, *, status: str, progress: int, error_message: str | None = None
    ) -> None:
        """Record a batch's remote status (from the sensor or a blocking wait)."""
        values: dict[str, object] = {"status": status, "progress": progress}
        if status == COMPLETED:
            values["completed_at"] = utcnow()
        if error_message is not None:
            values["error_message"] = error_message
        self._update(self._where(batch_id=batch_id), **values)

    def detach(self, row: LedgerRow, message: str) -> None:
        """The chunk's batch is not its own (its results do not match): back to ``error`` for a resubmission.

        The batch id stays until the resubmission moves it to the history, so it is never adopted again.
        """
        self._update_key(
            (row.partition_key, row.content_hash, row.chunk_index), status=ERROR, error_message=message
        )

    def mark_failed(self, row: LedgerRow, message: str) -> None:
        """Give up on a chunk whose batch errored more times than allowed."""
        self._update_key(
            (row.partition_key, row.content_hash, row.chunk_index), status=FAILED, error_message=message
        )

    def mark_enriched(self, rows: Iterable[LedgerRow], *, status: str | None = None) -> None:
        """Record that nothing of ``rows`` is left to store (their results are in the enriched table, or
        they failed for good); with ``status``, also set it (:data:`SUPERSEDED`)."""
        now = utcnow()
        values: dict[str, object] = (
            {"enriched_at": now} if status is None else {"enriched_at": now, "status": status}
        )
        for row in rows:
            self._update_key((row.partition_key, row.content_hash, row.chunk_index), **values)

    def ready_partitions(self, limit: int | None = None) -> list[ReadyPartition]:
        """Partitions with pending chunks that all finished (completed or failed): their results can be stored."""
        t = self._t
        unfinished = sa.func.sum(sa.case((t.c.status.in_(list(FINISHED_STATES)), 0), else_=1))
        query = (
            sa.select(t.c.partition_key)
            .where(t.c.enriched_at.is_(None))
            .group_by(t.c.partition_key)
            .having(unfinished == 0)
            .order_by(t.c.partition_key)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._wh.engine.connect() as conn:
            keys = list(conn.execute(query).scalars())
        ready = []
        for partition_key in keys:
            rows = self.pending(partition_key)
            ready.append(
                ReadyPartition(
                    partition_key,
                    rows[-1].content_hash,
                    tuple(r.batch_id for r in rows if r.status == COMPLETED and r.batch_id),
                    tuple(r.batch_id for r in rows if r.status == FAILED and r.batch_id),
                )
            )
        return ready

    def _update_key(self, key: tuple[str, str, int], **values: object) -> None:
        partition_key, content_hash, chunk_index = key
        self._update(
            self._where(partition_key=partition_key, content_hash=content_hash, chunk_index=chunk_index),
            **values,
        )


def batch_ids(rows: Sequence[LedgerRow]) -> list[str]:
    """The batch ids recorded on ``rows`` (chunks still ``submitting`` have none)."""
    return [r.batch_id for r in rows if r.batch_id]


def pack_members(members: Mapping[str, str]) -> str:
    """``members`` (transaction id -> fingerprint) as compact text: compressed JSON, base64."""
    return _pack(dict(members))


def unpack_members(packed: str) -> dict[str, str]:
    """The mapping :func:`pack_members` packed."""
    members: dict[str, str] = _unpack(packed)
    return members


def pack_payloads(payloads: Sequence[Mapping[str, Any]]) -> str:
    """A chunk's transactions as compact text (compressed JSON, base64), for its intent."""
    return _pack(list(payloads))


def unpack_payloads(packed: str) -> list[dict[str, Any]]:
    """The transactions a chunk's intent recorded."""
    payloads: list[dict[str, Any]] = _unpack(packed)
    return payloads


def _pack(value: object) -> str:
    return base64.b64encode(zlib.compress(orjson.dumps(value), 1)).decode()


def _unpack(packed: str) -> Any:
    # Up to 24,960 objects at once: the cyclic GC would scan the heap several times (3.5x slower).
    with gc_paused():
        return orjson.loads(zlib.decompress(base64.b64decode(packed)))
