"""Incremental submission: which of a partition's transactions have to be sent to Ntropy.

The API bills every transaction it enriches, so a re-run sends only what is new or changed. Each enriched
row stores the :func:`~ntropy_dagster.core.validation.fingerprint` of what was sent for it, and each
pending ledger chunk its members (ids and fingerprints). A valid transaction of the partition is

* *unchanged* when the enriched table holds it with the same fingerprint: nothing to send;
* *in flight* when a pending chunk holds it with the same fingerprint: sent already, results not stored yet;
* *new* (not in the table) or *changed* (in the table with another fingerprint) otherwise: it is sent.

A :class:`PartitionScan` sorts the partition's valid rows that way one validated chunk at a time, looking
up only that chunk's ids in the enriched table, so a partition is never held whole: what it keeps across
chunks is the ids' hashes (:attr:`PartitionScan.seen`) and what it learns about the pending chunks'
members. Rows the partition no longer has are removed from the enriched table once it has been read
(:func:`~ntropy_dagster.core.rejected.remove_stale_enriched`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.core.ids import IdSet
from ntropy_dagster.core.ledger import LedgerRow, SubmissionLedger
from ntropy_dagster.core.validation import ValidatedInput, fingerprint
from ntropy_dagster.core.warehouse import Warehouse

__all__ = [
    "ChunkKey",
    "Delta",
    "PartitionScan",
    "adopt_legacy_state",
    "as_chunks",
    "chunk_key",
    "has_legacy_rows",
    "members_of",
    "merge_validated",
    "open_scan",
]

#: A ledger chunk's key: (partition key, content hash, chunk index).
ChunkKey = tuple[str, str, int]
#: Ids per ``IN (...)`` lookup of the enriched table (well under every database's parameter limit).
LOOKUP_CHUNK = 5_000


def chunk_key(row: LedgerRow) -> ChunkKey:
    """The ledger key of ``row``."""
    return (row.partition_key, row.content_hash, row.chunk_index)


@dataclass
class Delta:
    """One chunk's rows to send (``payloads``, in id order) with their fingerprints."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)


@dataclass
class PartitionScan:
    """One pass over a partition's valid rows against the enriched table and the pending chunks.

    Build it with :meth:`start`, feed it every validated chunk of the partition with :meth:`add` (which
    returns the chunk's rows to send), then ask it which pending chunks' members are still current
    (:meth:`still_current`), how the partition's rows stand (the counts) and which ids it has
    (:attr:`seen`).
    """

    warehouse: Warehouse
    partition_key: str
    source: str
    #: The pending chunks (oldest first) and their members, as the scan started.
    pending: list[LedgerRow]
    members: dict[ChunkKey, dict[str, str]]
    #: The union of the pending chunks' members (a later chunk's fingerprint wins for an id in several).
    in_flight_members: dict[str, str]
    #: For the ids of pending chunks' members: their current fingerprint and payload, when the partition
    #: still has them (held for those ids only: resent from here when a chunk has no recorded payloads).
    current: dict[str, str] = field(default_factory=dict)
    current_payloads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Chunks sent from this scan's rows (every member is current), and how many rows they held.
    sent: set[ChunkKey] = field(default_factory=set)
    sent_rows: int = 0
    seen: IdSet = field(default_factory=IdSet)
    valid_rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    in_flight: int = 0

    @classmethod
    def start(cls, ledger: SubmissionLedger, partition_key: str, source: str = "raw") -> PartitionScan:
        """A scan of ``partition_key`` against its pending chunks as the ledger has them now."""
        pending = ledger.pending(partition_key)
        members = {chunk_key(row): ledger.members(row) for row in pending}
        union: dict[str, str] = {}
        for chunk in members.values():
            union.update(chunk)
        return cls(ledger.warehouse, partition_key, source, pending, members, union)

    def add(self, validated: ValidatedInput) -> Delta:
        """Sort one validated chunk's rows (ids not in an earlier chunk); return those to send."""
        ids = [str(p["id"]) for p in validated.payloads]
        fingerprints = validated.fingerprints()
        enriched = self._enriched(ids)
        delta = Delta()
        in_flight = self.in_flight_members
        for tx_id, fp, payload in zip(ids, fingerprints, validated.payloads, strict=True):
            member_fp = in_flight.get(tx_id)
            if member_fp is not None:
                self.current[tx_id] = fp
                if member_fp == fp:
                    self.current_payloads[tx_id] = payload
            stored = enriched.get(tx_id)
            if stored == fp:
                self.unchanged += 1
            elif member_fp == fp:
                self.in_flight += 1
            else:
                if tx_id in enriched:
                    self.changed += 1
                else:
                    self.new += 1
                delta.payloads.append(payload)
                delta.fingerprints.append(fp)
        self.seen.add(ids)
        self.valid_rows += len(ids)
        return delta

    @property
    def unsent(self) -> int:
        """Valid rows that are new or changed and were not sent from this scan."""
        return self.new + self.changed - self.sent_rows

    def members_of(self, ledger: SubmissionLedger, row: LedgerRow) -> dict[str, str]:
        """The members of a pending chunk (read from the ledger unless the scan has them)."""
        key = chunk_key(row)
        return self.members[key] if key in self.members else ledger.members(row)

    def payloads_of(
        self, ledger: SubmissionLedger, row: LedgerRow, ids: Iterable[str]
    ) -> list[dict[str, Any]]:
        """The payloads of ``ids`` (current members of ``row``'s chunk): as its intent recorded them, else
        (a chunk recorded before payloads were) as this scan found them in the partition."""
        sent = {str(p["id"]): p for p in ledger.payloads(row) or ()}
        return [sent.get(i) or self.current_payloads[i] for i in ids]

    def still_current(self, key: ChunkKey, members: Mapping[str, str]) -> list[str]:
        """The ids of ``members`` whose transaction is in the partition unchanged, in id order."""
        if key in self.sent:
            return sorted(members)
        current = self.current
        return sorted(i for i, fp in members.items() if current.get(i) == fp)

    def _enriched(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The fingerprints of the enriched rows of ``ids`` (None: written before fingerprints existed)."""
        table = self.warehouse.tables.enriched_transactions
        found: dict[str, str | None] = {}
        with self.warehouse.engine.connect() as conn:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                query = sa.select(table.c.transaction_id, table.c.fingerprint).where(
                    (table.c.partition_key == self.partition_key)
                    & (table.c.source == self.source)
                    & table.c.transaction_id.in_(ids[start : start + LOOKUP_CHUNK])
                )
                found.update((tx_id, fp) for tx_id, fp in conn.execute(query))
        return found


def open_scan(
    ledger: SubmissionLedger,
    validated: ValidatedInput | Iterable[ValidatedInput],
    *,
    partition_key: str,
    source: str,
    batch_size: int,
) -> tuple[PartitionScan, Iterator[ValidatedInput]]:
    """A scan of the partition and the validated chunks to feed it. When the partition has legacy state
    (:func:`has_legacy_rows`), the chunks are merged into one first, and that state adopted."""
    scan = PartitionScan.start(ledger, partition_key, source)
    chunks = as_chunks(validated)
    if has_legacy_rows(scan):
        whole = merge_validated(chunks)
        adopt_legacy_state(scan, ledger, whole, batch_size=batch_size)
        chunks = iter([whole])
    return scan, chunks


def has_legacy_rows(scan: PartitionScan) -> bool:
    """Whether the partition has state written before fingerprints and members were recorded: pending
    chunks without members, or enriched rows without a fingerprint (see :func:`adopt_legacy_state`)."""
    if any(not members for members in scan.members.values()):
        return True
    table = scan.warehouse.tables.enriched_transactions
    query = sa.select(sa.literal(1)).where(
        (table.c.partition_key == scan.partition_key)
        & (table.c.source == scan.source)
        & table.c.fingerprint.is_(None)
    )
    with scan.warehouse.engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None


def adopt_legacy_state(
    scan: PartitionScan, ledger: SubmissionLedger, validated: ValidatedInput, *, batch_size: int
) -> None:
    """Bring state written before fingerprints and members were recorded up to date, when that is provably
    right; ``validated`` is the whole partition (see :func:`merge_validated`).

    Before fingerprints, a partition was submitted whole, under the hash of its whole content, chunked by
    ``batch_size``. A pending chunk without members is that content's ``chunk_index``-th chunk when the
    content is still what it hashed (else its members are unknown, and it is superseded). When the
    ledger shows that the current content was submitted and stored that way, the enriched rows without a
    fingerprint are exactly the current rows: they get the current fingerprints instead of being sent
    again.
    """
    content_hash = validated.content_hash(batch_size)
    fingerprints = validated.fingerprints()
    for row in scan.pending:
        key = chunk_key(row)
        if scan.members[key] or row.content_hash != content_hash:
            continue
        start = row.chunk_index * batch_size
        scan.members[key] = {
            str(p["id"]): fp
            for p, fp in zip(
                validated.payloads[start : start + batch_size],
                fingerprints[start : start + batch_size],
                strict=True,
            )
        }
        scan.in_flight_members.update(scan.members[key])
    chunks = ledger.chunks(scan.partition_key, content_hash)
    if not chunks or any(r.enriched_at is None for r in chunks.values()):
        return
    table = scan.warehouse.tables.enriched_transactions
    statement = (
        sa.update(table)
        .where(
            (table.c.partition_key == scan.partition_key)
            & (table.c.transaction_id == sa.bindparam("_id"))
            & table.c.fingerprint.is_(None)
        )
        .values(fingerprint=sa.bindparam("_fp"))
    )
    updates = [
        {"_id": str(p["id"]), "_fp": fp} for p, fp in zip(validated.payloads, fingerprints, strict=True)
    ]
    if updates:
        with scan.warehouse.begin() as conn:
            conn.execute(statement, updates)


def merge_validated(parts: Iterable[ValidatedInput]) -> ValidatedInput:
    """The validated chunks of one partition as one, its payloads in id order (ids are unique across
    the chunks of :func:`~ntropy_dagster.core.validation.validate_stream`)."""
    payloads: list[tuple[str, int, dict[str, Any]]] = []
    merged = ValidatedInput(payloads=[], rejected=[], account_holders=[], raw_rows=0)
    holders: dict[str, Any] = {}
    for part in parts:
        rows = part.row_numbers or [-1] * len(part.payloads)
        payloads.extend((str(p["id"]), row, p) for p, row in zip(part.payloads, rows, strict=True))
        merged.rejected.extend(part.rejected)
        holders.update((h.id, h) for h in part.account_holders)
        merged.raw_rows += part.raw_rows
        merged.duplicate_ids += part.duplicate_ids
    payloads.sort(key=lambda item: item[0])
    merged.payloads = [p for _, _, p in payloads]
    merged.row_numbers = [row for _, row, _ in payloads]
    merged.rejected.sort(key=lambda r: (r.row_number, r.field))
    merged.account_holders = [holders[i] for i in sorted(holders)]
    return merged


def as_chunks(validated: ValidatedInput | Iterable[ValidatedInput]) -> Iterator[ValidatedInput]:
    """A partition's validated chunks: a whole :class:`ValidatedInput` is one chunk."""
    if isinstance(validated, ValidatedInput):
        yield validated
    else:
        yield from validated


def members_of(payloads: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The ids of ``payloads`` with their fingerprints: what the ledger records for a chunk."""
    return {str(p["id"]): fingerprint(p) for p in payloads}
