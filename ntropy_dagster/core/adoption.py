"""Adopting the remote work of an interrupted run instead of paying for it twice.

A run records its intent (a ``submitting`` batch chunk, an ``uploading`` statement) *before* the POST
that creates the remote object, and the object's id after it. A run that died between the two leaves an
intent without an id while the object exists remotely. The API has no idempotency key, so the next run
looks for it with one rule, the same for batches and bank-statement jobs (Assumption): the oldest remote
object created since the intent was written (minus :data:`~ntropy_dagster.core.status.CLOCK_SLACK`, for
clock differences with the API), that no row of the durable state records yet, and that matches what was
sent (a batch of the same size; a statement with the same file name and size). A wrong match does not go
unnoticed: the results are checked against what was submitted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable
from typing import Protocol, TypeVar

from ntropy_dagster.core.status import CLOCK_SLACK


class RemoteObject(Protocol):
    """What adoption reads of a batch or a bank-statement job."""

    @property
    def id(self) -> str:
        """The remote id."""

    @property
    def created_at(self) -> dt.datetime | None:
        """When the API created it."""


#: Page size of the listings adoption searches.
ADOPTION_PAGE_SIZE = 1000

RemoteT = TypeVar("RemoteT", bound=RemoteObject)

#: Listed objects without a creation time sort last.
_NEVER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def orphan_candidates(
    list_created_after: Callable[[dt.datetime], Iterable[RemoteT]],
    *,
    intent_at: dt.datetime | None,
    known_ids: Container[str],
    matches: Callable[[RemoteT], bool],
) -> list[RemoteT]:
    """Every remote object that may be the orphan of an intent recorded at ``intent_at``, oldest first.

    ``list_created_after(since)`` lists the remote objects created after ``since`` (the API's
    ``created_after`` filter); those that ``matches`` and whose id is not in ``known_ids`` are candidates.
    Without an intent time there is nothing to adopt.
    """
    if intent_at is None:
        return []
    candidates = [
        remote
        for remote in list_created_after(intent_at - CLOCK_SLACK)
        if remote.id not in known_ids and matches(remote)
    ]
    return sorted(candidates, key=lambda remote: remote.created_at or _NEVER)


def find_orphan(
    list_created_after: Callable[[dt.datetime], Iterable[RemoteT]],
    *,
    intent_at: dt.datetime | None,
    known_ids: Container[str],
    matches: Callable[[RemoteT], bool],
) -> RemoteT | None:
    """The oldest of :func:`orphan_candidates`, or None."""
    candidates = orphan_candidates(
        list_created_after, intent_at=intent_at, known_ids=known_ids, matches=matches
    )
    return candidates[0] if candidates else None
