"""Rows that failed validation, kept in the warehouse with the field and the reason (never dropped)."""

from __future__ import annotations

import logging
from typing import Any

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.validation import ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: At most this many rejections are logged one by one; the table has them all.
LOGGED_REJECTIONS = 20


def write_rejected(
    warehouse: Warehouse, partition_key: str, validated: ValidatedInput, *, log: logging.Logger | Any = logger
) -> int:
    """Replace the partition's rejected rows with those of ``validated``; return how many were written."""
    warehouse.delete_where("rejected_transactions", partition_key=partition_key)
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
    if not rows:
        return 0
    warehouse.upsert("rejected_transactions", rows)
    for r in validated.rejected[:LOGGED_REJECTIONS]:
        log.warning(f"Rejected row {r.row_number} ({r.transaction_id}): {r.field}: {r.reason}")
    return len(rows)
