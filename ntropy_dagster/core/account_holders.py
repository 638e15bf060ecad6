"""Account holders: created on the API once, across concurrent runs, and recorded as they are created.

Each holder the warehouse does not know yet is first *claimed*: a row without ``created_at`` is inserted,
and the primary key lets exactly one of several concurrent runs insert it (a call claims all its new
holders in one transaction, and holder by holder when another run claimed some of them meanwhile). The run
that claimed a holder creates it on the API and records ``created_at``: in groups of
:data:`RECORD_EVERY` holders, and at once for those already created when the call fails; a failure
releases the claims it has not used, so a retry goes on at once. The other runs wait for the claim to
complete before they go on (their batches reference the holder); a claim left by a killed run is taken
over once it is older than the claim timeout (the API answers 400 for a holder it already has: it is
then recorded as existing, so a kill between a create and its record loses nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.client import BadRequestError, NtropyClient
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.state import utc_aware
from ntropy_dagster.core.validation import AccountHolderRef
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: How long a run waits for another run's claim on a holder before creating the holder itself.
CLAIM_TIMEOUT = dt.timedelta(seconds=60)
#: How often a waiting run looks at the claims again.
CLAIM_POLL_SECONDS = 0.5


#: Created holders recorded per warehouse transaction.
RECORD_EVERY = 100
#: Holder ids per ``IN (...)`` lookup.
_LOOKUP_SLICE = 500

_Recorded = dict[str, tuple[dt.datetime | None, dt.datetime | None]]


def ensure_account_holders(
    client: NtropyClient,
    warehouse: Warehouse,
    holders: Sequence[AccountHolderRef],
    *,
    log: logging.Logger | Any = logger,
    sleep: Callable[[float], None] = time.sleep,
    claim_timeout: dt.timedelta = CLAIM_TIMEOUT,
) -> tuple[int, int]:
    """Make sure every one of ``holders`` exists on the API and is recorded.

    Returns (created by this call, already existing). A holder that exists on the API but not in the
    warehouse (400 duplicate: an earlier run was killed after its POST) is recorded and counted as existing.
    """
    holders = list({h.id: h for h in holders}.values())
    recorded = _recorded(warehouse, [h.id for h in holders])
    existing = sum(1 for h in holders if recorded.get(h.id, (None, None))[0] is not None)
    claimed = _claim_all(warehouse, [h for h in holders if h.id not in recorded])
    mine = {h.id for h in claimed}
    # Claimed by another run (before this call, or meanwhile): created once that run records them.
    waiting = [h for h in holders if h.id not in mine and recorded.get(h.id, (None, None))[0] is None]
    created, existing = _create_all(client, warehouse, claimed, created=0, existing=existing)
    deadline = time.monotonic() + claim_timeout.total_seconds()
    while waiting:
        recorded = _recorded(warehouse, [h.id for h in waiting])
        still, orphaned = [], []
        for holder in waiting:
            created_at, claimed_at = recorded.get(holder.id, (None, None))
            if created_at is not None:
                existing += 1
            elif time.monotonic() > deadline or claimed_at is None or utcnow() - claimed_at > claim_timeout:
                log.info(f"Account holder {holder.id}: the run that claimed it did not finish; creating it")
                orphaned.append(holder)
            else:
                still.append(holder)
        created, existing = _create_all(client, warehouse, orphaned, created=created, existing=existing)
        waiting = still
        if waiting:
            sleep(CLAIM_POLL_SECONDS)
    return created, existing


def _create_all(
    client: NtropyClient,
    warehouse: Warehouse,
    holders: Sequence[AccountHolderRef],
    *,
    created: int,
    existing: int,
) -> tuple[int, int]:
    """Create ``holders`` (claimed by this call) and record them :data:`RECORD_EVERY` at a time; the
    counts (created, existing) with theirs added. On a failure the created ones are recorded and the
    claims of the others released, then the error is raised."""
    done: list[AccountHolderRef] = []
    try:
        for holder in holders:
            if _create(client, holder):
                created += 1
            else:
                existing += 1
            done.append(holder)
            if len(done) % RECORD_EVERY == 0:
                _record(warehouse, done[-RECORD_EVERY:])
    except BaseException:
        _record(warehouse, done[len(done) - len(done) % RECORD_EVERY :])
        _release(warehouse, holders[len(done) :])  # a retry (this run's or another's) takes them over at once
        raise
    _record(warehouse, done[len(done) - len(done) % RECORD_EVERY :])
    return created, existing


def _recorded(warehouse: Warehouse, ids: Sequence[str]) -> _Recorded:
    """The recorded holders among ``ids``: (created_at, claimed_at), both UTC-aware."""
    table = warehouse.tables.account_holders
    found: _Recorded = {}
    with warehouse.engine.connect() as conn:
        for start in range(0, len(ids), _LOOKUP_SLICE):
            query = sa.select(table.c.account_holder_id, table.c.created_at, table.c.claimed_at).where(
                table.c.account_holder_id.in_(ids[start : start + _LOOKUP_SLICE])
            )
            found.update((row[0], (utc_aware(row[1]), utc_aware(row[2]))) for row in conn.execute(query))
    return found


def _claim_all(warehouse: Warehouse, holders: Sequence[AccountHolderRef]) -> list[AccountHolderRef]:
    """Insert the claim rows of ``holders`` (which the warehouse did not have); the ones this call claimed.

    One transaction for all of them; when another run inserted some meanwhile, holder by holder."""
    if not holders:
        return []
    table, now = warehouse.tables.account_holders, utcnow()
    try:
        with warehouse.begin() as conn:
            conn.execute(
                sa.insert(table),
                [{"account_holder_id": h.id, "type": h.type, "claimed_at": now} for h in holders],
            )
    except sa.exc.IntegrityError:
        return [h for h in holders if _claim(warehouse, h)]
    return list(holders)


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


def _release(warehouse: Warehouse, holders: Sequence[AccountHolderRef]) -> None:
    """Drop this run's claims on holders it did not create (claim rows only: never a created holder)."""
    table = warehouse.tables.account_holders
    ids = [h.id for h in holders]
    with warehouse.begin() as conn:
        for start in range(0, len(ids), _LOOKUP_SLICE):
            conn.execute(
                sa.delete(table).where(
                    table.c.account_holder_id.in_(ids[start : start + _LOOKUP_SLICE])
                    & table.c.created_at.is_(None)
                )
            )


def _create(client: NtropyClient, holder: AccountHolderRef) -> bool:
    """Create the holder on the API; False if the API already had it."""
    try:
        client.account_holders.create(holder.id, holder.type)
    except BadRequestError:
        # The API answers 400 for an id it already has: created by an earlier, interrupted run.
        return False
    return True


def _record(warehouse: Warehouse, holders: Sequence[AccountHolderRef]) -> None:
    """Record ``holders`` as created (one transaction)."""
    if holders:
        now = utcnow()
        warehouse.upsert(
            "account_holders",
            [{"account_holder_id": h.id, "type": h.type, "created_at": now} for h in holders],
        )
