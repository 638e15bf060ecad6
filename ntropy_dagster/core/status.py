"""Bring the ledger up to date with the remote status of in-flight batches, and wait for them.

Shared by the batch sensor, the blocking mode and the submitter's in-flight cap. With few batches in
flight each one is fetched (``GET /v3/batches/{id}``); with many, the list endpoint filtered by
status covers them in a few pages. Work stops at ``deadline`` and carries on at the next call.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ntropy_dagster.client import BatchStatus, NotFoundError, NtropyClient
from ntropy_dagster.core.errors import BatchWaitTimeoutError
from ntropy_dagster.core.ledger import (
    COMPLETED,
    ERROR,
    PROCESSING,
    LedgerRow,
    SubmissionLedger,
    batch_ids,
)

logger = logging.getLogger(__name__)

#: Up to this many in-flight batches are fetched one by one; above it the list endpoint is used.
SINGLE_FETCH_LIMIT = 20
#: Margin for clock differences between this machine and the API when filtering by created_at.
CLOCK_SLACK = dt.timedelta(minutes=10)
LIST_PAGE_SIZE = 1000
#: The API statuses the list endpoint is asked for, in this order (the ledger uses the same words).
LISTED_STATUSES: tuple[BatchStatus, ...] = ("completed", "error", "processing")


class RemoteStatus(NamedTuple):
    """A batch's status as the API reports it."""

    batch_id: str
    status: str
    progress: int


@dataclass
class RefreshSummary:
    """What one refresh learned."""

    checked: int = 0
    completed: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    still_processing: int = 0
    out_of_time: bool = False


def refresh_in_flight(
    client: NtropyClient,
    ledger: SubmissionLedger,
    *,
    deadline: float | None = None,
    rows: list[LedgerRow] | None = None,
) -> RefreshSummary:
    """Update every ``processing`` ledger row from the API until ``deadline`` (a ``time.monotonic()``)."""
    in_flight = rows if rows is not None else ledger.with_status([PROCESSING])
    pending = {r.batch_id: r for r in in_flight if r.batch_id}
    summary = RefreshSummary()
    if not pending:
        return summary
    if len(pending) <= SINGLE_FETCH_LIMIT:
        batches: Iterable[RemoteStatus] = _fetch_each(client, list(pending))
    else:
        oldest = min(r.submitted_at for r in pending.values() if r.submitted_at is not None)
        batches = _list_by_status(client, oldest - CLOCK_SLACK)
    for batch in batches:
        if deadline is not None and time.monotonic() > deadline:
            summary.out_of_time = True
            break
        row = pending.pop(batch.batch_id, None)
        if row is None:
            continue
        summary.checked += 1
        _record(ledger, row, batch, summary)
        if not pending:
            break
    summary.still_processing = (
        sum(1 for r in in_flight if r.batch_id) - len(summary.completed) - len(summary.errored)
    )
    return summary


def _record(ledger: SubmissionLedger, row: LedgerRow, remote: RemoteStatus, summary: RefreshSummary) -> None:
    if remote.status == row.status and remote.progress == row.progress:
        return
    message = f"Ntropy reported batch {remote.batch_id} as error" if remote.status == ERROR else None
    ledger.update_status(
        remote.batch_id, status=remote.status, progress=remote.progress, error_message=message
    )
    if remote.status == COMPLETED:
        summary.completed.append(remote.batch_id)
    elif remote.status == ERROR:
        summary.errored.append(remote.batch_id)


def _fetch_each(client: NtropyClient, batch_ids: list[str]) -> Iterable[RemoteStatus]:
    for batch_id in batch_ids:
        try:
            batch = client.batches.get(batch_id)
        except NotFoundError:
            # Assumption: a batch the API no longer knows (deleted with its data) will never finish;
            # reporting it as an error lets the resubmission policy decide.
            yield RemoteStatus(batch_id, ERROR, 0)
        else:
            yield RemoteStatus(batch.id, str(batch.status), batch.progress)


def _list_by_status(client: NtropyClient, created_after: dt.datetime) -> Iterable[RemoteStatus]:
    for status in LISTED_STATUSES:
        for batch in client.batches.list(status=status, created_after=created_after, limit=LIST_PAGE_SIZE):
            yield RemoteStatus(batch.id, str(batch.status), batch.progress)


def wait_for_partition(
    client: NtropyClient,
    ledger: SubmissionLedger,
    partition_key: str,
    *,
    timeout: float,
    poll_interval: float,
    sleep: Callable[[float], None] = time.sleep,
    log: logging.Logger | Any = logger,
    while_waiting: Callable[[], bool] | None = None,
) -> None:
    """Blocking mode: poll the partition's batches until none is processing, logging progress.

    ``while_waiting`` is work to do instead of sleeping (storing the batches that finished): called until
    it returns False (nothing to do); the batches are polled again at once when it did something.

    Raises :class:`~ntropy_dagster.core.errors.BatchWaitTimeoutError` (naming the batches) after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        rows = [r for r in ledger.pending(partition_key) if r.status == PROCESSING]
        if rows:
            refresh_in_flight(client, ledger, rows=rows)
            rows = [r for r in ledger.pending(partition_key) if r.status == PROCESSING]
        if not rows:
            return
        ids = batch_ids(rows)
        log.info(
            f"Waiting for {len(rows)} batch(es): {sum(r.progress for r in rows)}/{sum(r.total for r in rows)} "
            "transactions processed"
        )
        if time.monotonic() > deadline:
            raise BatchWaitTimeoutError(
                f"Ntropy batches {ids} of partition {partition_key!r} still processing after {timeout:.0f}s",
                batch_ids=ids,
            )
        worked = False
        while while_waiting is not None and while_waiting():
            worked = True
        if not worked:  # else poll again at once: batches may have finished meanwhile
            sleep(poll_interval)
