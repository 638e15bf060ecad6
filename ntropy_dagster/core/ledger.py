"""The durable record of what was submitted to Ntropy: one row per (partition, content hash, chunk).

It lives in the warehouse (table ``<prefix>batches``), never in process memory, so a run on another
process, the sensor daemon and a re-run after a crash all see the same state. The life of a row:

``submitting`` (written *before* the POST) -> ``processing`` (batch id recorded) -> ``completed`` |
``error`` (remote status, or results that did not match the chunk: detached) -> ``failed`` (error and
out of resubmission attempts). ``enriched_at`` is set once the enriched table holds the results. When a
chunk is submitted again, its earlier batch id moves to ``previous_batch_ids``: the history is kept, and
no earlier batch of a chunk is ever adopted again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.state import COMPLETED, ERROR, PROCESSING, WarehouseState

__all__ = [
    "COMPLETED",
    "ERROR",
    "FAILED",
    "FINISHED_STATES",
    "PROCESSING",
    "SUBMITTING",
    "UNPARTITIONED",
    "LedgerRow",
    "ReadyPartition",
    "SubmissionLedger",
    "batch_ids",
]

SUBMITTING = "submitting"
FAILED = "failed"
FINISHED_STATES = frozenset({COMPLETED, FAILED})
#: Partition key recorded for unpartitioned pipelines.
UNPARTITIONED = "__all__"


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
class ReadyPartition:
    """A partition whose latest submission has finished remotely and is not enriched yet."""

    partition_key: str
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

    def latest(self, partition_key: str) -> list[LedgerRow]:
        """The chunks of the most recent submission of a partition (empty if never submitted)."""
        t = self._t
        with self._wh.engine.connect() as conn:
            content_hash = conn.execute(
                sa.select(t.c.content_hash)
                .where(t.c.partition_key == partition_key)
                .order_by(t.c.submitted_at.desc())
                .limit(1)
            ).scalar()
        if content_hash is None:
            return []
        return sorted(self.chunks(partition_key, content_hash).values(), key=lambda r: r.chunk_index)

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
        total: int,
        attempt: int,
        run_id: str | None,
    ) -> None:
        """Write the chunk as ``submitting`` before the POST, so a crash after it can be resumed.

        A chunk submitted again keeps its earlier batch id in ``previous_batch_ids``.
        """
        now = utcnow()
        history = self._history((partition_key, content_hash, chunk_index))
        self._upsert(
            [
                {
                    "partition_key": partition_key,
                    "content_hash": content_hash,
                    "chunk_index": chunk_index,
                    "chunk_hash": chunk_hash,
                    "batch_id": None,
                    "previous_batch_ids": history,
                    "status": SUBMITTING,
                    "progress": 0,
                    "total": total,
                    "attempt": attempt,
                    "submitted_at": now,
                    "updated_at": now,
                    "completed_at": None,
                    "error_message": None,
                    "request_id": None,
                    "run_id": run_id,
                    "enriched_at": None,
                }
            ],
        )

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

    def mark_enriched(self, partition_key: str, content_hash: str) -> None:
        """Record that the enriched table holds this submission's results."""
        self._update(
            self._where(partition_key=partition_key, content_hash=content_hash), enriched_at=utcnow()
        )

    def ready_partitions(self, limit: int | None = None) -> list[ReadyPartition]:
        """Latest submissions whose chunks all finished (completed or failed) and are not enriched."""
        t = self._t
        latest = (
            sa.select(t.c.partition_key, sa.func.max(t.c.submitted_at).label("latest_at"))
            .group_by(t.c.partition_key)
            .subquery()
        )
        latest_hash = (
            sa.select(t.c.partition_key, t.c.content_hash)
            .join(
                latest,
                (t.c.partition_key == latest.c.partition_key) & (t.c.submitted_at == latest.c.latest_at),
            )
            .distinct()
            .subquery()
        )
        unfinished = sa.func.sum(sa.case((t.c.status.in_(list(FINISHED_STATES)), 0), else_=1))
        query = (
            sa.select(t.c.partition_key, t.c.content_hash)
            .join(
                latest_hash,
                (t.c.partition_key == latest_hash.c.partition_key)
                & (t.c.content_hash == latest_hash.c.content_hash),
            )
            .group_by(t.c.partition_key, t.c.content_hash)
            .having((unfinished == 0) & (sa.func.count(t.c.enriched_at) == 0))
            .order_by(t.c.partition_key)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._wh.engine.connect() as conn:
            keys = [(r[0], r[1]) for r in conn.execute(query)]
        ready = []
        for partition_key, content_hash in keys:
            rows = sorted(self.chunks(partition_key, content_hash).values(), key=lambda r: r.chunk_index)
            ready.append(
                ReadyPartition(
                    partition_key,
                    content_hash,
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
