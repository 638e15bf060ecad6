"""Rows that failed validation: kept in the warehouse with the field and the reason, never dropped.

Writing a partition's rejections also removes the partition's enriched rows that its current content no
longer has as valid rows (rejected now, or gone from the raw data): for a whole partition in the same
transaction, for a partition read in chunks once every chunk is read (:class:`RejectionWriter`). Then
each raw row is either enriched or rejected, never both.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.errors import PartitionRejectedError
from ntropy_dagster.core.ids import IdSet
from ntropy_dagster.core.validation import RejectedRow, ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: At most this many rejections are logged one by one; the table has them all.
LOGGED_REJECTIONS = 20
#: Ids per DELETE statement when enriched rows are removed.
DELETE_CHUNK = 5_000


class RejectionWriter:
    """Writes a partition's rejected rows chunk by chunk, replacing those an earlier run wrote.

    :meth:`add` each validated chunk's rejections; once the whole partition has been read,
    :meth:`finish` removes the enriched rows whose id the partition no longer has as a valid row (rejected
    now, or gone from the raw data). Until then a row rejected in this run may still have its earlier
    enriched row: that is only decided once every chunk is read, since a later chunk may have the id.
    """

    def __init__(
        self, warehouse: Warehouse, partition_key: str, *, log: logging.Logger | Any = logger
    ) -> None:
        self.warehouse, self.partition_key, self.log = warehouse, partition_key, log
        #: Rejections written so far.
        self.written = 0
        self._cleared = False

    def add(self, validated: ValidatedInput, *, conn: sa.Connection | None = None) -> int:
        """Write one chunk's rejections (the first call clears the partition's earlier ones)."""
        stamp = utcnow()
        rows = [
            {
                "partition_key": self.partition_key,
                "row_number": r.row_number,
                "transaction_id": r.transaction_id,
                "field": r.field,
                "reason": r.reason,
                "raw_row": r.raw_row,
                "rejected_at": stamp,
            }
            for r in validated.rejected
        ]
        with self.warehouse.begin(conn) as tx:
            self._clear_once(tx)
            if rows:
                self.warehouse.upsert("rejected_transactions", rows, conn=tx)
        for r in validated.rejected[: max(LOGGED_REJECTIONS - self.written, 0)]:
            self.log.warning(f"Rejected row {r.row_number} ({r.transaction_id}): {r.field}: {r.reason}")
        self.written += len(rows)
        return len(rows)

    def finish(self, valid_ids: IdSet | None, *, conn: sa.Connection | None = None) -> int:
        """Remove the partition's enriched rows whose id is not in ``valid_ids`` (every valid row of the
        partition; None: they were removed already); return how many."""
        with self.warehouse.begin(conn) as tx:
            self._clear_once(tx)
            if valid_ids is None:
                return 0
            removed = remove_stale_enriched(self.warehouse, self.partition_key, valid_ids, conn=tx)
        if removed:
            self.log.info(
                f"Removed {removed} enriched row(s) of partition {self.partition_key!r} that are no longer "
                "valid rows"
            )
        return removed

    def _clear_once(self, conn: sa.Connection) -> None:
        """Delete the rejections an earlier run wrote for the partition, the first time only."""
        if not self._cleared:
            self.warehouse.delete_where("rejected_transactions", partition_key=self.partition_key, conn=conn)
            self._cleared = True


def write_rejected(
    warehouse: Warehouse, partition_key: str, validated: ValidatedInput, *, log: logging.Logger | Any = logger
) -> int:
    """Replace the partition's rejected rows with those of ``validated`` (the whole partition); return how
    many were written.

    In the same transaction, the partition's enriched rows whose id is not a valid row of ``validated``
    any more are deleted (see the module docstring).
    """
    writer = RejectionWriter(warehouse, partition_key, log=log)
    with warehouse.begin() as conn:
        written = writer.add(validated, conn=conn)
        writer.finish(IdSet(str(p["id"]) for p in validated.payloads), conn=conn)
    return written


def remove_stale_enriched(
    warehouse: Warehouse, partition_key: str, valid_ids: IdSet, *, conn: sa.Connection | None = None
) -> int:
    """Delete the partition's enriched rows whose transaction is not in ``valid_ids``; return how many.

    The partition's stored ids are read and checked a page at a time."""
    table = warehouse.tables.enriched_transactions
    query = sa.select(table.c.transaction_id).where(table.c.partition_key == partition_key)
    with warehouse.begin(conn) as tx:
        stale: list[str] = []
        for page in tx.execute(query).scalars().partitions(DELETE_CHUNK):
            stale.extend(tx_id for tx_id, ok in zip(page, valid_ids.contains(page), strict=True) if not ok)
        for chunk in _chunks(stale, DELETE_CHUNK):
            tx.execute(
                sa.delete(table).where(
                    (table.c.partition_key == partition_key) & table.c.transaction_id.in_(chunk)
                )
            )
    return len(stale)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _cause(rejection: RejectedRow) -> str:
    if rejection.reason.startswith("missing column"):
        return f"missing column {rejection.field!r}"
    return f"{rejection.field}: {rejection.reason}"


@dataclass
class InputTally:
    """What reading a partition found: its raw, valid and rejected rows and the rejections' causes.

    Built from the whole partition (:meth:`of`) or chunk by chunk (:meth:`counted`), so a partition read
    in chunks is summed up without being held."""

    raw_rows: int = 0
    valid_rows: int = 0
    #: Raw rows with at least one rejection, and the rejections (one per bad field).
    rejected_rows: int = 0
    rejections: int = 0
    duplicate_ids: int = 0
    causes: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, validated: ValidatedInput) -> InputTally:
        """The tally of a whole validated partition."""
        tally = cls()
        tally.add(validated)
        return tally

    def add(self, validated: ValidatedInput) -> None:
        """Count one validated chunk."""
        self.raw_rows += validated.raw_rows
        self.valid_rows += len(validated.payloads)
        self.rejected_rows += len({r.row_number for r in validated.rejected})
        self.rejections += len(validated.rejected)
        self.duplicate_ids += validated.duplicate_ids
        self.causes.update(_cause(r) for r in validated.rejected)

    def counted(self, chunks: Iterable[ValidatedInput]) -> Iterator[ValidatedInput]:
        """``chunks``, each counted as it passes."""
        for chunk in chunks:
            self.add(chunk)
            yield chunk


def raise_if_wholly_rejected(validated: ValidatedInput | InputTally, partition_key: str) -> None:
    """Fail, naming the cause, when the partition has rows and none of them is valid.

    An empty partition (no rows) is fine: there is nothing to enrich. Every row rejected is almost always a
    mapping or schema problem (a missing column, a wrong currency format), so it fails loudly.
    """
    tally = validated if isinstance(validated, InputTally) else InputTally.of(validated)
    if tally.valid_rows or not tally.raw_rows:
        return
    summary = "; ".join(f"{cause} ({count} row(s))" for cause, count in tally.causes.most_common(3))
    raise PartitionRejectedError(
        f"all {tally.raw_rows} rows of partition {partition_key!r} were rejected ({summary}): "
        "see the rejected-transactions table for every row and reason"
    )


def partition_summary(validated: ValidatedInput | InputTally, partition_key: str) -> str:
    """One line for the logs: raw, valid and rejected rows, and what an empty partition means."""
    tally = validated if isinstance(validated, InputTally) else InputTally.of(validated)
    if not tally.raw_rows:
        return f"partition {partition_key!r} has no rows: nothing to enrich"
    return (
        f"partition {partition_key!r}: {tally.raw_rows} raw rows, {tally.valid_rows} valid, "
        f"{tally.rejected_rows} rejected"
    )
