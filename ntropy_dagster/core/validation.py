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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np
import numpy.typing as npt
import orjson
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import ErrorDetails

from ntropy_dagster._gc import gc_paused, older_objects_frozen, release_memory
from ntropy_dagster.client import MAX_BATCH_SIZE, AccountHolderType, TransactionInput
from ntropy_dagster.client.models import Identifier
from ntropy_dagster.core.ids import IdSet

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
#: Rows validated per pydantic call.
VALIDATION_SLICE = 20_000
ACCOUNT_HOLDER_TYPES: tuple[AccountHolderType, ...] = get_args(AccountHolderType)


class ColumnMapping(BaseModel):
    """How a raw table's columns map to the v3 input columns.

    ``columns`` maps *your* column names to v3 names, e.g. ``{"txn_id": "id", "memo": "description"}``.
    With ``entry_type_from_sign`` a table with signed amounts and no entry_type column works:
    negative amounts become ``outgoing`` with their absolute value. Without it a negative amount is
    rejected, as the API would.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    entry_type_from_sign: bool = False
    default_account_holder_type: str = Field(default="consumer", pattern="^(consumer|business)$")

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns.values()) - set(INPUT_COLUMNS))
        if unknown:
            raise ValueError(f"unknown v3 input column(s) {unknown}; expected one of {sorted(INPUT_COLUMNS)}")
        return columns

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
    type: AccountHolderType


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
    #: The raw row number of each payload (empty when the input was not validated here).
    row_numbers: list[int] = field(default_factory=list)
    _fingerprints: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def content_hash(self, batch_size: int = MAX_BATCH_SIZE) -> str:
        """A hash of everything that would be submitted, and how it is chunked (stable across row order)."""
        return payloads_hash(self.payloads, batch_size)

    def fingerprints(self) -> list[str]:
        """The :func:`fingerprint` of each payload, in :attr:`payloads` order (computed once)."""
        if self._fingerprints is None or len(self._fingerprints) != len(self.payloads):
            self._fingerprints = [fingerprint(p) for p in self.payloads]
        return self._fingerprints

    def chunks(self, size: int = MAX_BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
        """The payloads in batches of at most ``size`` items, in a deterministic order."""
        if not 1 <= size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_SIZE}, got {size}")
        for start in range(0, len(self.payloads), size):
            yield self.payloads[start : start + size]


def validate_transactions(
    frame: pd.DataFrame, mapping: ColumnMapping | None = None, *, row_offset: int = 0
) -> ValidatedInput:
    """Validate every row of ``frame`` against the v3 input contract.

    A row with several bad fields gives one :class:`RejectedRow` per field. Missing required columns
    reject every row (naming the column) rather than raising, so nothing disappears silently. Ids are
    unique per API key (the API replaces a transaction re-submitted with the same id), so when an id
    appears more than once the last row wins, as it would on the API, and the earlier ones are
    rejected as duplicates. Rows are numbered from ``row_offset`` (the frame's position in a partition
    read in chunks, see :func:`validate_stream`).
    """
    with gc_paused():
        return _validate_frame(frame, mapping or ColumnMapping(), row_offset)


def validate_stream(
    frames: Iterable[pd.DataFrame], mapping: ColumnMapping | None = None
) -> Iterator[ValidatedInput]:
    """Validate a partition read in chunks (see :mod:`ntropy_dagster.core.sources`), one chunk at a time.

    Each chunk is validated as :func:`validate_transactions` does, its rows numbered from the start of the
    partition. An id that a valid row of an earlier chunk had is rejected in the later chunk: the earlier
    row may be submitted already, so across chunks the *first* row of an id wins (within a chunk, the
    last, as in a whole frame). Only the chunk being validated and the ids' 8-byte hashes are held.
    """
    seen, offset = IdSet(), 0
    with older_objects_frozen():  # the per-chunk collection walks only what the partition's reading made
        for frame in frames:
            validated = validate_transactions(frame, mapping, row_offset=offset)
            offset += validated.raw_rows
            ids = [str(p["id"]) for p in validated.payloads]
            again = seen.contains(ids)
            if again.any():
                validated = _without_earlier_ids(validated, ids, again)
                ids = [str(p["id"]) for p in validated.payloads]
            seen.add(ids)
            del frame, ids
            # Handed over, not kept: the consumer can let the chunk's rows go before it asks for the next.
            handed = [validated]
            del validated
            yield handed.pop()
            release_memory()  # the consumer is done with the chunk


def account_holders_of(frame: pd.DataFrame, mapping: ColumnMapping | None = None) -> list[AccountHolderRef]:
    """The account holders ``frame``'s rows name, read from the holder columns alone (the rest of each
    row is not validated: an account-holders step need not pay for a whole validation).

    A row names its holder when the holder's id and type (else the mapping's default type) are valid, as
    :func:`validate_transactions` would find them; the first such row gives the type. A row that the full
    validation rejects for another field still names its holder: creating one costs no credits, and a
    corrected row will need it.
    """
    mapping = mapping or ColumnMapping()
    renamed = frame.rename(columns=mapping.columns)
    raw = _RawColumns(renamed.loc[:, renamed.columns.isin(("account_holder_id", "account_holder_type"))])
    holders: dict[str, AccountHolderType | None] = {}
    for holder_id, given_type in zip(
        raw.cleaned("account_holder_id"), raw.cleaned("account_holder_type"), strict=True
    ):
        if holder_id is not None and holders.get(str(holder_id)) is None:
            holders[str(holder_id)] = _holder_type(given_type or mapping.default_account_holder_type)
    return [
        AccountHolderRef(holder_id, holder_type)
        for holder_id, holder_type in sorted(holders.items())
        if holder_type is not None and _is_identifier(holder_id)
    ]


def _is_identifier(value: str) -> bool:
    try:
        _IDENTIFIER.validate_python(value)
    except ValidationError:
        return False
    return True


_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


def _without_earlier_ids(
    validated: ValidatedInput, ids: list[str], again: npt.NDArray[np.bool_]
) -> ValidatedInput:
    """``validated`` with the payloads whose id an earlier chunk had moved to its rejections."""
    rows = validated.row_numbers
    duplicates = [
        RejectedRow(
            rows[i],
            ids[i],
            "id",
            f"duplicate transaction id {ids[i]!r}: an earlier chunk of the partition has it (across "
            "chunks the first row wins: it may be submitted already)",
            orjson.dumps(validated.payloads[i]).decode(),
        )
        for i in np.flatnonzero(again)
    ]
    kept = np.flatnonzero(~again)
    return ValidatedInput(
        payloads=[validated.payloads[i] for i in kept],
        rejected=sorted([*validated.rejected, *duplicates], key=lambda r: (r.row_number, r.field)),
        account_holders=validated.account_holders,
        raw_rows=validated.raw_rows,
        duplicate_ids=validated.duplicate_ids + len(duplicates),
        extra=validated.extra,
        row_numbers=[rows[i] for i in kept],
    )


def _validate_frame(frame: pd.DataFrame, mapping: ColumnMapping, row_offset: int) -> ValidatedInput:
    raw = _RawColumns(mapping.apply(frame).reset_index(drop=True))
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        ids = raw.cleaned("id")
        return ValidatedInput(
            payloads=[],
            rejected=[
                RejectedRow(
                    row_offset + row,
                    _as_str(ids[row]),
                    col,
                    "missing column: the raw data has no such column",
                    raw.json(row),
                )
                for row in range(raw.rows)
                for col in missing
            ],
            account_holders=[],
            raw_rows=raw.rows,
        )
    candidates, columns = _candidates(raw)
    holder_types = raw.cleaned("account_holder_type")
    rejected: list[RejectedRow] = []
    valid: dict[str, int] = {}
    payload_of: dict[int, dict[str, Any]] = {}
    holders: dict[str, AccountHolderType] = {}
    duplicates = 0
    # A slice at a time, so the models of one slice only are alive (a model per row of a whole partition
    # would double the memory the payloads take).
    for start in range(0, len(candidates), VALIDATION_SLICE):
        rows = range(start, min(start + VALIDATION_SLICE, len(candidates)))
        models, errors = _validate(candidates[rows.start : rows.stop])
        accepted: dict[int, TransactionInput] = {}
        for row_number, tx in zip(rows, models, strict=True):
            if tx is None:
                tx_id = _as_str(candidates[row_number].get("id"))
                rejected.extend(
                    RejectedRow(
                        row_offset + row_number,
                        tx_id,
                        _loc(err["loc"][1:]),
                        _reason(err),
                        raw.json(row_number),
                    )
                    for err in errors[row_number - start]
                )
                continue
            given_type = holder_types[row_number] or mapping.default_account_holder_type
            holder_type = _holder_type(given_type)
            if tx.account_holder_id is not None and holder_type is None:
                rejected.append(
                    RejectedRow(
                        row_offset + row_number,
                        tx.id,
                        "account_holder_type",
                        f"must be one of {', '.join(ACCOUNT_HOLDER_TYPES)}, got {given_type!r}",
                        raw.json(row_number),
                    )
                )
                continue
            earlier_row = valid.get(tx.id)
            if earlier_row is not None:
                duplicates += 1
                # The earlier row is in this slice's ``accepted`` or an earlier slice's ``payload_of``.
                accepted.pop(earlier_row, None)
                payload_of.pop(earlier_row, None)
                rejected.append(
                    RejectedRow(
                        row_offset + earlier_row,
                        tx.id,
                        "id",
                        f"duplicate transaction id {tx.id!r}: superseded by row {row_offset + row_number}",
                        raw.json(earlier_row),
                    )
                )
            valid[tx.id] = row_number
            accepted[row_number] = tx
            if tx.account_holder_id is not None and holder_type is not None:
                holders.setdefault(tx.account_holder_id, holder_type)
        kept = list(accepted)
        if _submittable_as_is(columns, kept):
            payload_of.update((row, candidates[row]) for row in kept)
        else:
            dumped = _TRANSACTIONS.dump_python(list(accepted.values()), mode="json", exclude_none=True)
            payload_of.update(zip(kept, dumped, strict=True))
    rows_by_id = [row for _, row in sorted(valid.items())]
    return ValidatedInput(
        payloads=[payload_of[row] for row in rows_by_id],
        rejected=sorted(rejected, key=lambda r: (r.row_number, r.field)),
        account_holders=[AccountHolderRef(i, t) for i, t in sorted(holders.items())],
        raw_rows=raw.rows,
        duplicate_ids=duplicates,
        row_numbers=[row_offset + row for row in rows_by_id],
    )


#: Validates a slice of candidates in one call (one pydantic call per row costs more than the validation).
_TRANSACTIONS: TypeAdapter[list[TransactionInput]] = TypeAdapter(list[TransactionInput])


def _holder_type(value: object) -> AccountHolderType | None:
    """``value`` as an account holder type, or None when it is not one."""
    for holder_type in ACCOUNT_HOLDER_TYPES:
        if value == holder_type:
            return holder_type
    return None


def _validate(
    candidates: list[dict[str, Any]],
) -> tuple[list[TransactionInput | None], dict[int, list[ErrorDetails]]]:
    """The model of each valid candidate (None for invalid ones) and the errors of the invalid ones.

    Errors keep the list index as the first element of their ``loc``. The valid rows of a list with
    errors are validated a second time, in one call, because pydantic returns no partial results.
    """
    try:
        return list(_TRANSACTIONS.validate_python(candidates)), {}
    except ValidationError as exc:
        errors: dict[int, list[ErrorDetails]] = {}
        for err in exc.errors(include_url=False):
            errors.setdefault(int(err["loc"][0]), []).append(err)
    good = [row for row in range(len(candidates)) if row not in errors]
    models: list[TransactionInput | None] = [None] * len(candidates)
    for row, model in zip(good, _TRANSACTIONS.validate_python([candidates[r] for r in good]), strict=True):
        models[row] = model
    return models, errors


class _RawColumns:
    """The raw frame as Python values, column by column (what ``to_dict("records")`` gives, per row)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.rows = len(frame)
        self._values: dict[str, list[Any]] = {}
        self._missing: dict[str, list[bool]] = {}
        # Position-wise, so duplicate column names behave as in to_dict: the last one wins.
        for position, name in enumerate(frame.columns):
            series = frame.iloc[:, position]
            values = series.tolist()
            if series.dtype == object:
                values = [_box(v) for v in values]
            self._values[str(name)] = values
            self._missing[str(name)] = series.isna().tolist()
        self.columns = tuple(self._values)

    def cleaned(self, name: str) -> list[Any]:
        """The column's values with missing ones (see :func:`_clean`) as None; all None if absent."""
        values = self._values.get(name)
        if values is None:
            return [None] * self.rows
        missing = self._missing[name]
        if not any(missing) and all(type(v) is str for v in values):
            return [v if v.strip() else None for v in values]
        return [
            None if m or (isinstance(v, str) and not v.strip()) else v
            for v, m in zip(values, missing, strict=True)
        ]

    def json(self, row: int) -> str:
        """The raw row as JSON text, for :class:`RejectedRow`."""
        return _raw_json({name: values[row] for name, values in self._values.items()})


def _box(value: Any) -> Any:
    """NumPy scalars in object columns as Python values (as ``DataFrame.to_dict`` gives them)."""
    if isinstance(value, np.generic):
        if isinstance(value, np.datetime64):
            return pd.Timestamp(value)
        if isinstance(value, np.timedelta64):
            return pd.Timedelta(value)
        return value.item()
    return value


#: Candidate keys in TransactionInput's field order, so payloads serialise like ``model_dump``.
_FLAT_FIELDS = (*REQUIRED_COLUMNS, "account_holder_id")


def _candidates(raw: _RawColumns) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """The v3 TransactionInput dict of each raw row (cleaned, not yet validated), and its columns."""
    columns = {name: raw.cleaned(name) for name in REQUIRED_COLUMNS}
    columns["id"] = [v if v is None or isinstance(v, str) else _as_str(v) for v in columns["id"]]
    if not _all_exact(columns["date"], str):
        columns["date"] = [None if v is None else _as_date_str(v) for v in columns["date"]]
    columns["account_holder_id"] = [None if v is None else str(v) for v in raw.cleaned("account_holder_id")]
    columns["location.raw_address"] = addresses = raw.cleaned("location_raw_address")
    columns["location.country"] = countries = raw.cleaned("location_country")
    # dict(zip()) per row, then the missing values removed column by column: 3x faster than a filtered
    # dict comprehension per row, and deleting keeps the field order.
    candidates = [
        dict(zip(_FLAT_FIELDS, values, strict=True))
        for values in zip(*(columns[n] for n in _FLAT_FIELDS), strict=True)
    ]
    for name in _FLAT_FIELDS:
        if None in columns[name]:
            for candidate, value in zip(candidates, columns[name], strict=True):
                if value is None:
                    del candidate[name]
    for candidate, address, country in zip(candidates, addresses, countries, strict=True):
        if address is not None or country is not None:
            candidate["location"] = {
                k: v for k, v in (("raw_address", address), ("country", country)) if v is not None
            }
    return candidates, columns


def _submittable_as_is(columns: Mapping[str, list[Any]], rows: list[int]) -> bool:
    """Whether the valid candidates of ``rows`` equal their ``model_dump(mode="json", exclude_none=True)``.

    True when every value already has the type and spelling the model serialises: plain strings, float
    amounts, ``incoming``/``outgoing``, ``YYYY-MM-DD`` text dates. Then the dump can be skipped.
    """

    def picked(name: str) -> list[Any]:
        values = columns[name]
        # ``rows`` are distinct, so all of them means the whole column, in any order.
        return values if len(rows) == len(values) else [values[r] for r in rows]

    strings = (
        "id",
        "description",
        "currency",
        "account_holder_id",
        "location.raw_address",
        "location.country",
    )
    if not all(_all_exact(picked(name), str) for name in strings) or not _all_exact(picked("amount"), float):
        return False
    dates = [v for v in picked("date") if v is not None]
    entry_types = picked("entry_type")
    return (
        _all_exact(dates, str)
        and set(map(len, dates)) <= {10}
        and all(map(str.isascii, dates))
        and _all_exact(entry_types, str)
        and set(entry_types) <= _ENTRY_TYPES
    )


_ENTRY_TYPES = frozenset(("incoming", "outgoing", None))


def _all_exact(values: list[Any], kind: type) -> bool:
    """True when every value is None or of exactly type ``kind`` (no subclass, e.g. bool for int)."""
    return set(map(type, values)) <= {kind, type(None)}


def _clean(value: Any) -> Any:
    """None for missing values (None, NaN, NaT, NA, empty or blank strings)."""
    if value is None or value is pd.NaT or value is pd.NA:
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


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A short hash of one transaction as it is sent to the API (its id and every field of the payload).

    Stored with the enriched row: a re-run submits a transaction again only when its fingerprint changed.
    """
    return hashlib.blake2b(_canonical(payload), digest_size=12).hexdigest()


def payloads_hash(payloads: Sequence[Mapping[str, Any]], batch_size: int = MAX_BATCH_SIZE) -> str:
    """A hash of ``payloads`` (in order) and the batch size they are chunked by: a submission's identity."""
    digest = hashlib.sha256(f"batch_size={batch_size}\n".encode())
    for payload in payloads:
        digest.update(_canonical(payload))
    return digest.hexdigest()[:32]
