"""Incremental submission: which of a partition's transactions have to be sent to Ntropy.

The API bills every transaction it enriches, so a re-run sends only what is new or changed. Each enriched
row stores the :func:`~ntropy_dagster.core.validation.fingerprint` of what was sent for it, and each
pending ledger chunk its members (ids and fingerprints). A valid transaction of the partition is

* *unchanged* when the enriched table holds it with the same fingerprint: nothing to send;
* *in flight* when a pending chunk holds it with the same fingerprint: sent already, results not stored yet;
* *new* (not in the table) or *changed* (in the table with another fingerprint) otherwise: it is sent.

Rows the partition no longer has are removed from the enriched table when its rejections are written
(:func:`~ntropy_dagster.core.rejected.write_rejected`) and when results are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.core.ledger import LedgerRow, SubmissionLedger
from ntropy_dagster.core.validation import ValidatedInput, fingerprint, payloads_hash
from ntropy_dagster.core.warehouse import Warehouse

__all__ = [
    "CurrentRows",
    "Delta",
    "adopt_legacy_fingerprints",
    "chunk_members",
    "enriched_fingerprints",
    "in_flight_members",
    "members_of",
    "plan_delta",
]


@dataclass(frozen=True)
class CurrentRows:
    """A partition's valid transactions as they are now, by id: the payload to send and its fingerprint."""

    payloads: dict[str, dict[str, Any]]
    fingerprints: dict[str, str]

    @classmethod
    def of(cls, validated: ValidatedInput) -> CurrentRows:
        """The valid rows of ``validated`` (ids are unique after validation)."""
        ids = [str(p["id"]) for p in validated.payloads]
        return cls(
            dict(zip(ids, validated.payloads, strict=True)),
            dict(zip(ids, validated.fingerprints(), strict=True)),
        )

    def still_current(self, members: Mapping[str, str]) -> list[str]:
        """The ids of ``members`` whose transaction is still in the partition, unchanged, in id order."""
        fingerprints = self.fingerprints
        return sorted(i for i, fp in members.items() if fingerprints.get(i) == fp)


@dataclass
class Delta:
    """What a submission sends (``payloads``, sorted by id) and how the partition's other rows stand."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    in_flight: int = 0

    def content_hash(self, batch_size: int) -> str:
        """The submission's identity: a hash of what it sends and how it is chunked."""
        return payloads_hash(self.payloads, batch_size)


def plan_delta(
    current: CurrentRows, enriched: Mapping[str, str | None], in_flight: Mapping[str, str]
) -> Delta:
    """Sort the partition's valid rows into unchanged, in flight, new and changed (see the module doc).

    ``enriched`` maps the ids of the partition's enriched rows to their fingerprints; ``in_flight`` the
    ids of its pending chunks' members to theirs.
    """
    delta = Delta()
    for tx_id, fp in current.fingerprints.items():
        stored = enriched.get(tx_id)
        if stored == fp:
            delta.unchanged += 1
        elif in_flight.get(tx_id) == fp:
            delta.in_flight += 1
        else:
            if tx_id in enriched:
                delta.changed += 1
            else:
                delta.new += 1
            delta.payloads.append(current.payloads[tx_id])
            delta.fingerprints.append(fp)
    return delta


def enriched_fingerprints(warehouse: Warehouse, partition_key: str, source: str) -> dict[str, str | None]:
    """The fingerprints of the partition's enriched rows of ``source``, by transaction id (None: a row
    written before fingerprints existed, sent again once)."""
    table = warehouse.tables.enriched_transactions
    query = sa.select(table.c.transaction_id, table.c.fingerprint).where(
        (table.c.partition_key == partition_key) & (table.c.source == source)
    )
    with warehouse.engine.connect() as conn:
        return {tx_id: fp for tx_id, fp in conn.execute(query)}


def adopt_legacy_fingerprints(
    warehouse: Warehouse,
    ledger: SubmissionLedger,
    validated: ValidatedInput,
    enriched: dict[str, str | None],
    *,
    partition_key: str,
    batch_size: int,
) -> None:
    """Give fingerprints to enriched rows written before they existed, when that is provably right.

    Before fingerprints, a partition was submitted whole, under the hash of its whole content. When the
    ledger shows that the current content was submitted and stored that way, the table's rows are exactly
    the current rows: they get the current fingerprints (in ``enriched`` too) instead of being sent again.
    """
    unknown = [tx_id for tx_id, fp in enriched.items() if fp is None]
    if not unknown:
        return
    chunks = ledger.chunks(partition_key, validated.content_hash(batch_size))
    if not chunks or any(r.enriched_at is None for r in chunks.values()):
        return
    current = CurrentRows.of(validated).fingerprints
    updates = [{"_id": tx_id, "_fp": current[tx_id]} for tx_id in unknown if tx_id in current]
    table = warehouse.tables.enriched_transactions
    statement = (
        sa.update(table)
        .where((table.c.partition_key == partition_key) & (table.c.transaction_id == sa.bindparam("_id")))
        .values(fingerprint=sa.bindparam("_fp"))
    )
    if updates:
        with warehouse.begin() as conn:
            conn.execute(statement, updates)
    enriched.update({u["_id"]: u["_fp"] for u in updates})


def chunk_members(
    ledger: SubmissionLedger, row: LedgerRow, validated: ValidatedInput, batch_size: int
) -> dict[str, str]:
    """What ``row``'s chunk was sent: its recorded members.

    Assumption for rows written before members were recorded (one submission per partition content,
    chunked by ``batch_size``): when the partition's content is still what that submission hashed, the
    chunk is that content's ``chunk_index``-th chunk; otherwise it is unknown (empty), and superseded.
    """
    members = ledger.members(row)
    if members or row.content_hash != validated.content_hash(batch_size):
        return members
    start = row.chunk_index * batch_size
    fingerprints = validated.fingerprints()[start : start + batch_size]
    return {
        str(p["id"]): fp
        for p, fp in zip(validated.payloads[start : start + batch_size], fingerprints, strict=True)
    }


def in_flight_members(members: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The union of pending chunks' members (a later chunk's fingerprint wins for an id in several)."""
    union: dict[str, str] = {}
    for chunk in members:
        union.update(chunk)
    return union


def members_of(payloads: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The ids of ``payloads`` with their fingerprints: what the ledger records for a chunk."""
    return {str(p["id"]): fingerprint(p) for p in payloads}
