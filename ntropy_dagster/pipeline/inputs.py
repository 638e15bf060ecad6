"""Raw transactions in: column mapping, validation against the v3 input contract, quarantine of bad rows.

The pipeline accepts any DataFrame with the v3 input columns (see :data:`INPUT_COLUMNS`); other
names are mapped with :class:`ColumnMapping`. Every row is validated with the client's
:class:`~ntropy_dagster.client.TransactionInput`, so the rules are exactly the API's. Invalid rows are
never dropped: each failing field becomes a :class:`RejectedRow` naming the row and the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ntropy_dagster.client import MAX_BATCH_SIZE, TransactionInput

#: Columns the pipeline reads. The first six are required by the API.
INPUT_COLUMNS: Mapping[str, str] = {
    "id": "Unique transaction id (1-256 chars). Re-submitting an id replaces the earlier enrichment.",
    "description": "Raw bank description, at most 1024 characters.",
    "date": "Booking date (date, datetime or 'YYYY-MM-DD').",
    "amount": "Amount, >= 0; the direction is in entry_type.",
    "entry_type": "'incoming' or 'outgoing' ('credit'/'debit' accepted).",
    "currency": "ISO 4217 code, e.g. USD.",
    "account_holder_id": "Optional. Without it Ntropy does not categorise the transaction.",
    "account_holder_type": "Optional: 'consumer' or 'business' (else the pipeline's default).",
    "location_raw_address": "Optional raw address of the counterparty.",
    "location_country": "Optional ISO 3166 country code, e.g. US or US-CA.",
}
REQUIRED_COLUMNS = ("id", "description", "date", "amount", "entry_type", "currency")
ACCOUNT_HOLDER_TYPES = ("consumer", "business")


class ColumnMapping(BaseModel):
    """How a raw table's columns map to the v3 input columns.

    ``columns`` maps *your* column names to v3 names, e.g. ``{"txn_id": "id", "memo": "description"}``.
    With ``entry_type_from_sign`` a table with signed amounts and no entry_type column works:
    negative amounts become ``outgoing`` with their absolute value. Without it a negative amount is
    rejected, as the API would.
    """

    model_config = ConfigDict(frozen=True)

    columns: dict[str, str] = Field(default_factory=dict)
    entry_type_from_sign: bool = False
    default_account_holder_type: str = Field(default="consumer", pattern="^(consumer|business)$")

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with v3 column names (and entry types derived from signs if configured)."""
        out = frame.rename(columns=self.columns)
        if self.entry_type_from_sign and "amount" in out.columns:
            amounts = pd.to_numeric(out["amount"], errors="coerce")
            if "entry_type" not in out.columns:
                out["entry_type"] = ["outgoing" if a < 0 else "incoming" for a in amounts.fillna(0)]
            out["amount"] = amounts.abs()
        return out


@dataclass(frozen=True)
class RejectedRow:
    """One reason a raw row was not submitted."""

    row_number: int
    transaction_id: str | None
    field: str
    reason: str
    raw_row: str


@dataclass(frozen=True)
class AccountHolderRef:
    """An account holder seen in the raw data."""

    id: str
    type: str


@dataclass
class ValidatedInput:
    """The result of validating one partition of raw transactions.

    ``payloads`` are JSON-ready v3 ``TransactionInput`` dicts sorted by id so that the
    same content always gives the same chunks and hashes, whatever the raw row order.
    """

    payloads: list[dict[str, Any]]
    rejected: list[RejectedRow]
    account_holders: list[AccountHolderRef]
    raw_rows: int
    duplicate_ids: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def content_hash(self, batch_size: int = MAX_BATCH_SIZE) -> str:
        """A hash of everything that would be submitted, and how it is chunked (stable across row order)."""
        digest = hashlib.sha256(f"batch_size={batch_size}\n".encode())
        for payload in self.payloads:
            digest.update(_canonical(payload))
        return digest.hexdigest()[:32]

    def chunks(self, size: int = MAX_BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
        """The payloads in batches of at most ``size`` items, in a deterministic order."""
        if not 1 <= size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_SIZE}, got {size}")
        for start in range(0, len(self.payloads), size):
            yield self.payloads[start : start + size]


def validate_transactions(frame: pd.DataFrame, mapping: ColumnMapping | None = None) -> ValidatedInput:
    """Validate every row of ``frame`` against the v3 input contract.

    A row with several bad fields gives one :class:`RejectedRow` per field. Missing required columns
    reject every row (naming the column) rather than raising, so nothing disappears silently. Ids are
    unique per API key (the API replaces a transaction re-submitted with the same id), so when an id
    appears more than once the last row wins, as it would on the API, and the earlier ones are
    rejected as duplicates.
    """
    mapping = mapping or ColumnMapping()
    frame = mapping.apply(frame).reset_index(drop=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    rejected: list[RejectedRow] = []
    valid: dict[str, tuple[int, dict[str, Any]]] = {}
    holders: dict[str, str] = {}
    duplicates = 0
    records = frame.to_dict("records")
    for row_number, record in enumerate(records):
        raw_json = _raw_json(record)
        tx_id = _clean(record.get("id"))
        if missing:
            rejected.extend(
                RejectedRow(
                    row_number,
                    _as_str(tx_id),
                    col,
                    "missing column: the raw data has no such column",
                    raw_json,
                )
                for col in missing
            )
            continue
        holder_type = _clean(record.get("account_holder_type")) or mapping.default_account_holder_type
        candidate = _candidate(record)
        try:
            tx = TransactionInput.model_validate(candidate)
        except ValidationError as exc:
            rejected.extend(
                RejectedRow(row_number, _as_str(tx_id), _loc(err["loc"]), _reason(err), raw_json)
                for err in exc.errors(include_url=False)
            )
            continue
        if tx.account_holder_id is not None and holder_type not in ACCOUNT_HOLDER_TYPES:
            rejected.append(
                RejectedRow(
                    row_number,
                    tx.id,
                    "account_holder_type",
                    f"must be one of {', '.join(ACCOUNT_HOLDER_TYPES)}, got {holder_type!r}",
                    raw_json,
                )
            )
            continue
        key = tx.id
        if key in valid:
            duplicates += 1
            earlier_row, _ = valid[key]
            rejected.append(
                RejectedRow(
                    earlier_row,
                    tx.id,
                    "id",
                    f"duplicate transaction id {tx.id!r}: superseded by row {row_number}",
                    _raw_json(records[earlier_row]),
                )
            )
        valid[key] = (row_number, tx.model_dump(mode="json", exclude_none=True))
        if tx.account_holder_id is not None:
            holders.setdefault(tx.account_holder_id, holder_type)
    payloads = [payload for _, (_, payload) in sorted(valid.items())]
    return ValidatedInput(
        payloads=payloads,
        rejected=sorted(rejected, key=lambda r: (r.row_number, r.field)),
        account_holders=[AccountHolderRef(i, t) for i, t in sorted(holders.items())],
        raw_rows=len(records),
        duplicate_ids=duplicates,
    )


def _candidate(record: Mapping[str, Any]) -> dict[str, Any]:
    """The v3 TransactionInput dict for one raw record (values cleaned, not yet validated)."""
    candidate: dict[str, Any] = {}
    for name in REQUIRED_COLUMNS:
        value = _clean(record.get(name))
        if value is not None:
            candidate[name] = _as_date_str(value) if name == "date" else value
    holder = _clean(record.get("account_holder_id"))
    if holder is not None:
        candidate["account_holder_id"] = str(holder)
    if "id" in candidate and not isinstance(candidate["id"], str):
        candidate["id"] = _as_str(candidate["id"])
    location = {
        key: value
        for key, value in (
            ("raw_address", _clean(record.get("location_raw_address"))),
            ("country", _clean(record.get("location_country"))),
        )
        if value is not None
    }
    if location:
        candidate["location"] = location
    return candidate


def _clean(value: Any) -> Any:
    """None for missing values (None, NaN, NaT, empty or blank strings)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_date_str(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _reason(error: Mapping[str, Any]) -> str:
    """pydantic's message plus the offending value (shortened), e.g. ``... (got 'usd')``."""
    if error.get("type") == "missing" or "input" not in error:
        return str(error["msg"])
    shown = repr(error["input"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{error['msg']} (got {shown})"


def _loc(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "row"


def _raw_json(record: Mapping[str, Any]) -> str:
    return orjson.dumps(
        {str(k): _clean(v) for k, v in record.items()}, default=str, option=orjson.OPT_NON_STR_KEYS
    ).decode()


def _canonical(payload: Mapping[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS) + b"\n"
