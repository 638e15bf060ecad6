"""Rows that failed validation: kept in the warehouse with the field and the reason, never dropped.

Writing a partition's rejections also removes the partition's enriched rows that its current content no
longer has as valid rows (rejected now, or gone from the raw data), in the same transaction: at every
moment each raw row is either enriched or rejected, never both.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.errors import PartitionRejectedError
from ntropy_dagster.core.validation import ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: At most this many rejections are logged one by one; the table has them all.
LOGGED_REJECTIONS = 20
#: Ids per DELETE statement when enriched rows are removed.
DELETE_CHUNK = 5_000


def write_rejected(
    warehouse: Warehouse, partition_key: str, validated: ValidatedInput, *, log: logging.Logger | Any = logger
) -> int:
    """Replace the partition's rejected rows with those of ``validated``; return how many were written.

    In the same transaction, the partition's enriched rows whose id is not a valid row of ``validated``
    any more are deleted (see the module docstring).
    """
    stamp = utcnow()
    rows = [
        {
            "partition_key": partition_key,
            "row_number": r.row_number,
            "transaction_id": r.transaction_id,
            "field": r.field,
            "reason": r.reason,
            "raw_row": r.raw_row,
            "rejected_at": stamp,
        }
        for r in validated.rejected
    ]
    with warehouse.begin() as conn:
        warehouse.delete_where("rejected_transactions", partition_key=partition_key, conn=conn)
        if rows:
            warehouse.upsert("rejected_transactions", rows, conn=conn)
        removed = remove_stale_enriched(
            warehouse, conn, partition_key, {str(p["id"]) for p in validated.payloads}
        )
    for r in validated.rejected[:LOGGED_REJECTIONS]:
        log.warning(f"Rejected row {r.row_number} ({r.transaction_id}): {r.field}: {r.reason}")
    if removed:
        log.info(
            f"Removed {removed} enriched row(s) of partition {partition_key!r} that are no longer valid rows"
        )
    return len(rows)


def remove_stale_enriched(
    warehouse: Warehouse, conn: sa.Connection, partition_key: str, valid_ids: set[str]
) -> int:
    """Delete the partition's enriched rows whose transaction is not in ``valid_ids``; return how many."""
    table = warehouse.tables.enriched_transactions
    stored = conn.execute(sa.select(table.c.transaction_id).where(table.c.partition_key == partition_key))
    stale = [tx_id for (tx_id,) in stored if tx_id not in valid_ids]
    for chunk in _chunks(stale, DELETE_CHUNK):
        conn.execute(
            sa.delete(table).where(
                (table.c.partition_key == partition_key) & table.c.transaction_id.in_(chunk)
            )
        )
    return len(stale)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def raise_if_wholly_rejected(validated: ValidatedInput, partition_key: str) -> None:
    """Fail, naming the cause, when the partition has rows and none of them is valid.

    An empty partition (no rows) is fine: there is nothing to enrich. Every row rejected is almost always a
    mapping or schema problem (a missing column, a wrong currency format), so it fails loudly.
    """
    if validated.payloads or not validated.raw_rows:
        return
    causes = Counter(
        f"missing column {r.field!r}" if r.reason.startswith("missing column") else f"{r.field}: {r.reason}"
        for r in validated.rejected
    )
    summary = "; ".join(f"{cause} ({count} row(s))" for cause, count in causes.most_common(3))
    raise PartitionRejectedError(
        f"all {validated.raw_rows} rows of partition {partition_key!r} were rejected ({summary}): "
        "see the rejected-transactions table for every row and reason"
    )


def partition_summary(validated: ValidatedInput, partition_key: str) -> str:
    """One line for the logs: raw, valid and rejected rows, and what an empty partition means."""
    if not validated.raw_rows:
        return f"partition {partition_key!r} has no rows: nothing to enrich"
    rejected = len({r.row_number for r in validated.rejected})
    return f"partition {partition_key!r}: {validated.raw_rows} raw rows, {len(validated.payloads)} valid, {rejected} rejected"
