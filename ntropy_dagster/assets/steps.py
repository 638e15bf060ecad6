"""Steps shared by the transaction and bank-statement paths: account holders, blocking waits."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
import time
from collections.abc import Callable
from typing import Any

import dagster as dg
import sqlalchemy as sa

from ntropy_dagster.client import BadRequestError
from ntropy_dagster.pipeline.inputs import ValidatedInput
from ntropy_dagster.pipeline.ledger import PROCESSING, SubmissionLedger, utcnow
from ntropy_dagster.pipeline.status import refresh_in_flight
from ntropy_dagster.resources import NtropyResource
from ntropy_dagster.warehouse import Warehouse


def ensure_account_holders(
    ntropy: NtropyResource, warehouse: Warehouse, validated: ValidatedInput
) -> tuple[int, int]:
    """Create the account holders of ``validated`` that the warehouse has not recorded yet.

    Returns (created, already existing). An account holder that exists on the API but not in the
    warehouse (400 duplicate) is recorded and counted as existing.
    """
    if not validated.account_holders:
        return 0, 0
    table = warehouse.tables.account_holders
    with warehouse.engine.connect() as conn:
        known = {r[0] for r in conn.execute(sa.select(table.c.account_holder_id))}
    client = ntropy.get_client()
    created = existing = 0
    rows = []
    for holder in validated.account_holders:
        if holder.id in known:
            existing += 1
            continue
        try:
            client.account_holders.create(holder.id, holder.type)
            created += 1
        except BadRequestError:
            # The API answers 400 for an id it already has: created by an earlier, interrupted run.
            existing += 1
        rows.append({"account_holder_id": holder.id, "type": holder.type, "created_at": utcnow()})
    if rows:
        warehouse.upsert("account_holders", rows)
    return created, existing


def wait_for_partition(
    context: Any,
    ntropy: NtropyResource,
    warehouse: Warehouse,
    partition_key: str,
    *,
    timeout: float,
    poll_interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Blocking mode: poll the partition's batches until none is processing, logging progress."""
    ledger = SubmissionLedger(warehouse)
    client = ntropy.get_client()
    deadline = time.monotonic() + timeout
    while True:
        rows = [r for r in ledger.latest(partition_key) if r.status == PROCESSING]
        if not rows:
            return
        refresh_in_flight(client, ledger, rows=rows)
        rows = [r for r in ledger.latest(partition_key) if r.status == PROCESSING]
        if not rows:
            return
        done = sum(r.progress for r in rows)
        total = sum(r.total for r in rows)
        context.log.info(f"Waiting for {len(rows)} batch(es): {done}/{total} transactions processed")
        if time.monotonic() > deadline:
            raise dg.Failure(
                f"Ntropy batches {[r.batch_id for r in rows]} still processing after {timeout:.0f}s",
                metadata={"ntropy/batch_ids": [r.batch_id for r in rows]},
            )
        sleep(poll_interval)
