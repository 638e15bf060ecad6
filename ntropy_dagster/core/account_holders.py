"""Account holders: created on the API once, across concurrent runs, and recorded as they are created.

Each holder the warehouse does not know yet is first *claimed*: a row without ``created_at`` is inserted,
and the primary key lets exactly one of several concurrent runs insert it. That run creates the holder on
the API and records ``created_at`` right away, holder by holder, so a run killed half way loses nothing.
The other runs wait for the claim to complete before they go on (their batches reference the holder);
a claim left by a killed run is taken over once it is older than the claim timeout.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.client import BadRequestError, NtropyClient
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.state import utc_aware
from ntropy_dagster.core.validation import AccountHolderRef, ValidatedInput
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: How long a run waits for another run's claim on a holder before creating the holder itself.
CLAIM_TIMEOUT = dt.timedelta(seconds=60)
#: How often a waiting run looks at the claims again.
CLAIM_POLL_SECONDS = 0.5


def ensure_account_holders(
    client: NtropyClient,
    warehouse: Warehouse,
    validated: ValidatedInput,
    *,
    log: logging.Logger | Any = logger,
    sleep: Callable[[float], None] = time.sleep,
    claim_timeout: dt.timedelta = CLAIM_TIMEOUT,
) -> tuple[int, int]:
    """Make sure every account holder of ``validated`` exists on the API and is recorded.

    Returns (created by this call, already existing). A holder that exists on the API but not in the
    warehouse (400 duplicate: an earlier run was killed after its POST) is recorded and counted as existing.
    """
    created = existing = 0
    waiting: list[AccountHolderRef] = []
    recorded = _recorded(warehouse)
    for holder in validated.account_holders:
        if recorded.get(holder.id, (None, None))[0] is not None:
            existing += 1
        elif holder.id not in recorded and _claim(warehouse, holder):
            try:
                was_created = _create(client, warehouse, holder)
            except BaseException:
                _release(warehouse, holder)  # a retry (this run's or another's) takes it over at once
                raise
            created, existing = _count(was_created, created, existing)
        else:
            waiting.append(holder)
    deadline = time.monotonic() + claim_timeout.total_seconds()
    while waiting:
        recorded = _recorded(warehouse)
        still = []
        for holder in waiting:
            created_at, claimed_at = recorded.get(holder.id, (None, None))
            if created_at is not None:
                existing += 1
            elif time.monotonic() > deadline or claimed_at is None or utcnow() - claimed_at > claim_timeout:
                log.info(f"Account holder {holder.id}: the run that claimed it did not finish; creating it")
                created, existing = _count(_create(client, warehouse, holder), created, existing)
            else:
                still.append(holder)
        waiting = still
        if waiting:
            sleep(CLAIM_POLL_SECONDS)
    return created, existing


def _count(was_created: bool, created: int, existing: int) -> tuple[int, int]:
    return (created + 1, existing) if was_created else (created, existing + 1)


def _recorded(warehouse: Warehouse) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]]:
    """Every recorded holder: (created_at, claimed_at), both UTC-aware."""
    table = warehouse.tables.account_holders
    query = sa.select(table.c.account_holder_id, table.c.created_at, table.c.claimed_at)
    with warehouse.engine.connect() as conn:
        return {row[0]: (utc_aware(row[1]), utc_aware(row[2])) for row in conn.execute(query)}


def _claim(warehouse: Warehouse, holder: AccountHolderRef) -> bool:
    """Insert the holder's claim row; False when another run inserted it first."""
    table = warehouse.tables.account_holders
    try:
        with warehouse.begin() as conn:
            conn.execute(
                sa.insert(table).values(account_holder_id=holder.id, type=holder.type, claimed_at=utcnow())
            )
    except sa.exc.IntegrityError:
        return False
    return True


def _release(warehouse: Warehouse, holder: AccountHolderRef) -> None:
    """Drop this run's claim on a holder it failed to create (the claim row only: never a created holder)."""
    table = warehouse.tables.account_holders
    with warehouse.begin() as conn:
        conn.execute(
            sa.delete(table).where((table.c.account_holder_id == holder.id) & table.c.created_at.is_(None))
        )


def _create(client: NtropyClient, warehouse: Warehouse, holder: AccountHolderRef) -> bool:
    """Create the holder on the API and record it at once; False if the API already had it."""
    try:
        client.account_holders.create(holder.id, holder.type)
        was_created = True
    except BadRequestError:
        # The API answers 400 for an id it already has: created by an earlier, interrupted run.
        was_created = False
    warehouse.upsert(
        "account_holders", [{"account_holder_id": holder.id, "type": holder.type, "created_at": utcnow()}]
    )
    return was_created
