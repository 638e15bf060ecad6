"""Account holders: create on the API the ones the warehouse has not recorded yet."""

from __future__ import annotations

import sqlalchemy as sa

from ntropy_dagster.client import BadRequestError, NtropyClient
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.validation import ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse


def ensure_account_holders(
    client: NtropyClient, warehouse: Warehouse, validated: ValidatedInput
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
