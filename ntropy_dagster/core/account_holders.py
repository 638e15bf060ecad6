"""Account holders: created on the API once, across concurrent runs, at the rate the API allows.

Each holder the warehouse does not know yet is first *claimed*: a row without ``created_at`` is inserted,
and the primary key lets exactly one of several concurrent runs insert it. Claims are taken
:data:`CLAIM_SLICE` holders at a time, each once the claims of every run in the last second leave room
under ``rate`` (``POST /v3/account_holders`` allows 100 requests a second per key): the count and the
insert are one transaction, serialised across processes like the batch slots (SQLite's write lock, a
PostgreSQL advisory lock), so ten runs starting a backfill together never exceed the endpoint's limit.
The run that claimed a slice creates its holders on the API, the slice's requests at once (each takes a
round trip, about 0.1-0.3 s to the real API: one at a time, a run would create a few holders a second,
far under the endpoint's limit), and records ``created_at``: in groups of :data:`RECORD_EVERY` holders,
and at once for those already created when a call fails; a failure releases the claims it has not used,
so a retry goes on at once. The other runs wait for the claim to complete before they go on (their
batches reference the holder); a claim left by a killed run is taken over once it is older than the
claim timeout (the API answers 400 for a holder it already has: it is then recorded as existing, so a
kill between a create and its record loses nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
#: ``POST /v3/account_holders`` requests per second the API allows per key (``ntropy-api.md`` §1.1).
CREATE_RATE = 100.0
#: Holders claimed (then created) at a time. The claims of the last second are kept one slice under
#: the rate: a slice's POSTs follow its claim by the time they take, not at once.
CLAIM_SLICE = 10
#: Created holders recorded per warehouse transaction.
RECORD_EVERY = 100
#: Holder ids per ``IN (...)`` lookup.
_LOOKUP_SLICE = 500
#: The PostgreSQL advisory lock that serialises holder claims (any constant shared by every process).
CLAIM_LOCK_KEY = 0x6E7468636C6D  # "nthclm"
#: Serialises the claims of one process's threads (see ``ledger._SLOT_CLAIMS``).
_CLAIMS = threading.Lock()

_Recorded = dict[str, tuple[dt.datetime | None, dt.datetime | None]]


def ensure_account_holders(
    client: NtropyClient,
    warehouse: Warehouse,
    holders: Sequence[AccountHolderRef],
    *,
    log: logging.Logger | Any = logger,
    sleep: Callable[[float], None] = time.sleep,
    claim_timeout: dt.timedelta = CLAIM_TIMEOUT,
    rate: float = CREATE_RATE,
) -> tuple[int, int]:
    """Make sure every one of ``holders`` exists on the API and is recorded, creating at most ``rate``
    holders a second together with every other run on this warehouse.

    Returns (created by this call, already existing). A holder that exists on the API but not in the
    warehouse (400 duplicate: an earlier run was killed after its POST) is recorded and counted as existing.
    """
    holders = list({h.id: h for h in holders}.values())
    recorded = _recorded(warehouse, [h.id for h in holders])
    existing = sum(1 for h in holders if recorded.get(h.id, (None, None))[0] is not None)
    todo = [h for h in holders if h.id not in recorded]
    # Claimed by another run (before this call, or meanwhile): created once that run records them.
    waiting = [h for h in holders if h.id in recorded and recorded[h.id][0] is None]
    created = 0
    deadline = time.monotonic() + claim_timeout.total_seconds()
    while True:
        made, found, others = _claim_and_create(client, warehouse, todo, rate=rate, sleep=sleep)
        created, existing, waiting = created + made, existing + found, [*waiting, *others]
        if not waiting:
            return created, existing
        recorded = _recorded(warehouse, [h.id for h in waiting])
        todo, still = [], []
        for holder in waiting:
            created_at, claimed_at = recorded.get(holder.id, (None, None))
            if created_at is not None:
                existing += 1
            elif claimed_at is None:  # its claim was released: take it
                todo.append(holder)
            elif time.monotonic() > deadline or utcnow() - claimed_at > claim_timeout:
                log.info(f"Account holder {holder.id}: the run that claimed it did not finish; creating it")
                todo.append(holder)
            else:
                still.append(holder)
        _drop_claims(warehouse, [h for h in todo if recorded.get(h.id, (None, None))[1] is not None])
        waiting = still
        if waiting and not todo:
            sleep(CLAIM_POLL_SECONDS)


def _claim_and_create(
    client: NtropyClient,
    warehouse: Warehouse,
    holders: Sequence[AccountHolderRef],
    *,
    rate: float,
    sleep: Callable[[float], None],
) -> tuple[int, int, list[AccountHolderRef]]:
    """Claim ``holders`` a slice at a time, as the rate allows, and create the ones claimed, a slice's
    holders concurrently; recorded about :data:`RECORD_EVERY` at a time. Returns (created, existing,
    those another run claimed first). On a failure the created ones are recorded and the unused claims
    released, then the error is raised."""
    created = existing = 0
    others: list[AccountHolderRef] = []
    unrecorded: list[AccountHolderRef] = []
    unused: list[AccountHolderRef] = []
    size = max(1, min(CLAIM_SLICE, int(rate) // 2))
    # Threads start on the first submit: nothing to claim starts none.
    with ThreadPoolExecutor(max_workers=size, thread_name_prefix="ntropy-holders") as pool:
        try:
            for start in range(0, len(holders), size):
                claimed = _claim(warehouse, holders[start : start + size], rate=rate, size=size, sleep=sleep)
                ids = {h.id for h in claimed}
                others.extend(h for h in holders[start : start + size] if h.id not in ids)
                unused = list(claimed)
                done, failure = _create_concurrently(pool, client, claimed)
                created += sum(1 for _, new in done if new)
                existing += sum(1 for _, new in done if not new)
                unrecorded.extend(holder for holder, _ in done)
                finished = {holder.id for holder, _ in done}
                unused = [h for h in claimed if h.id not in finished]
                if failure is not None:
                    raise failure
                if len(unrecorded) >= RECORD_EVERY:
                    _record(warehouse, unrecorded)
                    unrecorded = []
        except BaseException:
            _record(warehouse, unrecorded)
            _drop_claims(warehouse, unused)  # a retry (this run's or another's) takes them over at once
            raise
    _record(warehouse, unrecorded)
    return created, existing, others


def _create_concurrently(
    pool: ThreadPoolExecutor, client: NtropyClient, holders: Sequence[AccountHolderRef]
) -> tuple[list[tuple[AccountHolderRef, bool]], BaseException | None]:
    """Create ``holders`` with their requests in flight together: the ones created, each with whether it
    was new (:func:`_create`), and the first failure, once every request has ended (so the created ones
    are recorded even when another failed)."""
    futures = [(holder, pool.submit(_create, client, holder)) for holder in holders]
    done: list[tuple[AccountHolderRef, bool]] = []
    failure: BaseException | None = None
    for holder, future in futures:
        try:
            done.append((holder, future.result()))
        except BaseException as exc:
            failure = failure or exc
    return done, failure


def _claim(
    warehouse: Warehouse,
    holders: Sequence[AccountHolderRef],
    *,
    rate: float,
    size: int,
    sleep: Callable[[float], None],
) -> list[AccountHolderRef]:
    """Insert the claim rows of those of ``holders`` no run has claimed, once the claims of the last
    second leave room for them (``rate - size``); the ones this call claimed."""
    table = warehouse.tables.account_holders
    ids = [h.id for h in holders]
    taken = sa.select(table.c.account_holder_id).where(table.c.account_holder_id.in_(ids))
    while True:
        with _CLAIMS, warehouse.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
            now = utcnow()  # once the lock is held: the claims it counts and the one it writes are its own
            recent = sa.select(sa.func.count()).where(table.c.claimed_at > now - dt.timedelta(seconds=1))
            known = {row[0] for row in conn.execute(taken)}
            free = [h for h in holders if h.id not in known]
            if not free:
                return []
            if int(conn.execute(recent).scalar_one()) + len(free) <= max(rate - size, size):
                conn.execute(
                    sa.insert(table),
                    [{"account_holder_id": h.id, "type": h.type, "claimed_at": now} for h in free],
                )
                return free
        sleep(size / rate)


def _drop_claims(warehouse: Warehouse, holders: Sequence[AccountHolderRef]) -> None:
    """Delete the claim rows of ``holders`` (claim rows only: never a created holder)."""
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
