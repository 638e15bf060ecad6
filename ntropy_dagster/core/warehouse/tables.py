"""Table definitions of the Ntropy warehouse (SQLAlchemy Core), with natural keys and column docs.

Type choices (the same on SQLite, DuckDB and PostgreSQL):

* text: ``TEXT`` (JSON payloads such as ``counterparty_mccs`` or ``raw_row`` are JSON text, not a JSON
  type, so every dialect stores and compares them the same way);
* dates: ``DATE``; timestamps: ``TIMESTAMP WITH TIME ZONE`` stored in UTC (SQLite has no such type:
  SQLAlchemy stores ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC and :meth:`Warehouse.read_frame` gives
  the values back as UTC-aware timestamps);
* amounts: ``DOUBLE PRECISION``. Assumption: the API sends amounts as JSON numbers (binary floats), so a
  double keeps exactly what was received; a ``NUMERIC`` would add conversions on every write and read
  without adding precision;
* counts: ``BIGINT``; flags: ``BOOLEAN``.

Key columns are ``NOT NULL``. Text key columns that may be missing in the data (``account_holder_id`` of
enriched transactions, ``field`` of rejected rows) store the empty string ``''`` for "none", so
``ON CONFLICT`` works identically on every dialect (SQL treats NULLs as distinct in unique keys).
:meth:`Warehouse.upsert` fills the sentinel in automatically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

#: Sentinel stored in text key columns when the value is missing (e.g. no account holder).
MISSING_KEY = ""

TEXT = sa.Text()
DATE = sa.Date()
TS = sa.DateTime(timezone=True)
AMOUNT: sa.Double[float] = sa.Double()
INT = sa.BigInteger()
BOOL = sa.Boolean()


@dataclass(frozen=True)
class Col:
    """One column of a table definition."""

    name: str
    type: sa.types.TypeEngine[Any]
    doc: str
    key: bool = False
    #: Text key that may be missing in the data: stored as ``MISSING_KEY`` instead of NULL.
    optional_key: bool = False


@dataclass(frozen=True)
class TableSpec:
    """Definition of one logical table: columns, natural key, indexes and auto-set timestamp."""

    logical: str
    columns: tuple[Col, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    #: Column set to the current UTC time on every upsert when the input does not provide it.
    touch: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Natural key (primary key) column names, in order."""
        return tuple(c.name for c in self.columns if c.key)

    @property
    def optional_keys(self) -> tuple[str, ...]:
        """Key columns whose missing values are stored as ``MISSING_KEY``."""
        return tuple(c.name for c in self.columns if c.optional_key)


def _spec(
    logical: str, *columns: Col, indexes: tuple[tuple[str, ...], ...] = (), touch: str | None = None
) -> TableSpec:
    return TableSpec(logical, tuple(columns), indexes, touch)


# Columns shared by several tables.
_REFRESHED_AT = Col("refreshed_at", TS, "When the row was written (UTC).")
_CURRENCY = Col("currency", TEXT, "ISO 4217 currency code.")
_UPDATED_AT = Col("updated_at", TS, "When this row was last written (UTC).")
_COUNTERPARTY_ID = Col("counterparty_id", TEXT, "Counterparty entity id.")
_COUNTERPARTY_NAME = Col("counterparty_name", TEXT, "Counterparty name.")
_COUNTERPARTY_WEBSITE = Col("counterparty_website", TEXT, "Counterparty website.")
_COUNTERPARTY_TYPE = Col("counterparty_type", TEXT, "person | organization.")

_LOCATION = (
    Col("location_raw_address", TEXT, "Raw address as sent or derived."),
    Col("location_city", TEXT, "City."),
    Col("location_state", TEXT, "State or region."),
    Col("location_postcode", TEXT, "Postcode."),
    Col("location_country_code", TEXT, "ISO 3166 country code."),
    Col("location_country", TEXT, "Country name."),
    Col("location_latitude", AMOUNT, "Latitude."),
    Col("location_longitude", AMOUNT, "Longitude."),
    Col("location_store_number", TEXT, "Store number."),
    Col("location_google_maps_url", TEXT, "Google Maps link."),
)

SPECS: tuple[TableSpec, ...] = (
    _spec(
        "batches",
        Col("partition_key", TEXT, "Dagster partition the batch belongs to.", key=True),
        Col(
            "content_hash",
            TEXT,
            "Hash of the rows one submission sent (the partition's new or changed rows) and the batch size.",
            key=True,
        ),
        Col("chunk_index", INT, "Index of this batch among the submission's batches.", key=True),
        Col("chunk_hash", TEXT, "Hash of the rows in this batch."),
        Col(
            "members",
            TEXT,
            "The batch's transaction ids and fingerprints (compressed JSON): what it was sent, for proving "
            "an adopted batch and storing only results whose transaction did not change since.",
        ),
        Col(
            "payloads",
            TEXT,
            "The transactions the batch was sent (compressed JSON): its results are stored, and the chunk "
            "resent, without reading the raw data again.",
        ),
        Col("batch_id", TEXT, "Ntropy batch id; empty while the chunk is being submitted."),
        Col(
            "previous_batch_ids",
            TEXT,
            "Earlier batches of this chunk (JSON list: errored or detached); never adopted again.",
        ),
        Col("status", TEXT, "submitting | processing | completed | error | failed | superseded."),
        Col("progress", INT, "Items processed so far."),
        Col("total", INT, "Items in the batch."),
        Col("submitted_at", TS, "When the chunk was (about to be) submitted (UTC)."),
        _UPDATED_AT,
        Col("completed_at", TS, "When the batch completed (UTC)."),
        Col("attempt", INT, "Submission attempt number."),
        Col("error_message", TEXT, "Error detail when the batch failed."),
        Col("request_id", TEXT, "Request id of the submitting HTTP call."),
        Col("run_id", TEXT, "Dagster run that submitted the batch."),
        Col("enriched_at", TS, "When the results were written to the enriched table (UTC)."),
        indexes=(("batch_id",), ("status",)),
        touch="updated_at",
    ),
    _spec(
        "account_holders",
        Col("account_holder_id", TEXT, "Account holder id.", key=True),
        Col("type", TEXT, "consumer | business."),
        Col("created_at", TS, "When the pipeline created (or found) it on Ntropy (UTC); NULL while claimed."),
        Col("claimed_at", TS, "When a run claimed its creation (UTC): concurrent runs create it once."),
        Col("groups_refreshed_at", TS, "When its recurring groups were last refreshed (UTC)."),
        Col(
            "groups_error",
            TEXT,
            "Why the last refresh of its recurring groups failed; NULL once one succeeds.",
        ),
        indexes=(("claimed_at",),),  # the claims of the last second, counted before each claim
    ),
    _spec(
        "enriched_transactions",
        Col("transaction_id", TEXT, "Transaction id.", key=True),
        Col(
            "account_holder_id",
            TEXT,
            "Account holder id; '' when the transaction has none.",
            key=True,
            optional_key=True,
        ),
        Col("partition_key", TEXT, "Dagster partition the transaction came from."),
        Col("batch_id", TEXT, "Ntropy batch that enriched it."),
        Col("description", TEXT, "Raw description."),
        Col("date", DATE, "Transaction date."),
        Col("amount", AMOUNT, "Amount (>= 0; direction in entry_type)."),
        Col("entry_type", TEXT, "incoming | outgoing."),
        _CURRENCY,
        _COUNTERPARTY_ID,
        _COUNTERPARTY_NAME,
        _COUNTERPARTY_WEBSITE,
        Col("counterparty_logo", TEXT, "Counterparty logo URL."),
        _COUNTERPARTY_TYPE,
        Col("counterparty_mccs", TEXT, "Counterparty MCC codes as a JSON list."),
        Col("intermediaries", TEXT, "Intermediaries as a JSON list of entities."),
        Col("intermediary_names", TEXT, "Intermediary names, comma separated."),
        Col("category_general", TEXT, "General category."),
        Col("category_accounting", TEXT, "Accounting category (business account holders)."),
        *_LOCATION,
        Col("error_code", TEXT, "Per-item enrichment error code."),
        Col("error_message", TEXT, "Per-item enrichment error message."),
        Col("source", TEXT, "Origin of the row: raw | bank_statement."),
        Col(
            "fingerprint",
            TEXT,
            "Hash of the transaction as it was sent to Ntropy: a re-run submits it again only if it changed.",
        ),
        Col("enriched_at", TS, "When the row was written (UTC)."),
        # A partition's ids from the index alone: the stale-row pass reads a million of them without
        # touching (and caching) the table's pages.
        indexes=(("partition_key", "transaction_id"),),
        touch="enriched_at",
    ),
    _spec(
        "rejected_transactions",
        Col("partition_key", TEXT, "Dagster partition of the rejected row.", key=True),
        Col("row_number", INT, "Row number of the rejected row in the partition's input.", key=True),
        Col(
            "field",
            TEXT,
            "Offending field; '' when the row as a whole was rejected.",
            key=True,
            optional_key=True,
        ),
        Col("transaction_id", TEXT, "Transaction id, when present."),
        Col("reason", TEXT, "Why the row was rejected."),
        Col("raw_row", TEXT, "The input row as JSON."),
        Col("rejected_at", TS, "When the row was written (UTC)."),
        touch="rejected_at",
    ),
    _spec(
        "recurring_groups",
        Col("group_id", TEXT, "Recurrence group id.", key=True),
        Col("account_holder_id", TEXT, "Account holder the group belongs to."),
        Col("start_date", DATE, "Date of the oldest transaction."),
        Col("end_date", DATE, "Date of the newest transaction."),
        Col("total_amount", AMOUNT, "Sum of the amounts."),
        Col("average_amount", AMOUNT, "Average amount."),
        Col("periodicity", TEXT, "daily | weekly | bi-weekly | semi-monthly | monthly | ... | other."),
        Col("periodicity_in_days", AMOUNT, "Estimated days between transactions."),
        _COUNTERPARTY_ID,
        _COUNTERPARTY_NAME,
        _COUNTERPARTY_WEBSITE,
        _COUNTERPARTY_TYPE,
        Col("category_general", TEXT, "General category."),
        Col("category_accounting", TEXT, "Accounting category."),
        Col("entry_type", TEXT, "incoming | outgoing."),
        Col("transaction_count", INT, "Transactions in the group."),
        Col("is_active", BOOL, "Derived: the next payment is still expected."),
        Col("next_expected_date", DATE, "Derived: date of the next expected transaction."),
        Col("next_expected_amount", AMOUNT, "Derived: amount of the next expected transaction."),
        Col("monthly_amount", AMOUNT, "Derived: amount normalised to one month."),
        _CURRENCY,
        _REFRESHED_AT,
        indexes=(("account_holder_id",),),
        touch="refreshed_at",
    ),
    _spec(
        "recurring_group_transactions",
        Col("group_id", TEXT, "Recurrence group id.", key=True),
        Col("transaction_id", TEXT, "Transaction id in the group.", key=True),
        Col("account_holder_id", TEXT, "Account holder the group belongs to."),
        Col("position", INT, "Position of the transaction in the group (0 = oldest)."),
        _REFRESHED_AT,
        indexes=(("account_holder_id",),),
        touch="refreshed_at",
    ),
    _spec(
        "income_sources",
        Col("account_holder_id", TEXT, "Account holder.", key=True),
        Col("source_key", TEXT, "Stable key of the income source (e.g. counterparty id or name).", key=True),
        Col("source_name", TEXT, "Display name of the source."),
        Col("source_type", TEXT, "salary | benefits | rental | transfers | other."),
        Col("pay_frequency", TEXT, "Periodicity of the payments."),
        Col("average_amount", AMOUNT, "Average payment."),
        Col("first_date", DATE, "First payment date."),
        Col("last_date", DATE, "Last payment date."),
        Col("next_expected_date", DATE, "Next expected payment date."),
        Col("monthly_income", AMOUNT, "Income normalised to one month."),
        Col("transaction_count", INT, "Payments seen."),
        Col("is_active", BOOL, "The next payment is still expected."),
        _CURRENCY,
        _REFRESHED_AT,
        touch="refreshed_at",
    ),
    _spec(
        "bank_statements",
        Col("statement_key", TEXT, "Dagster partition key of the statement file.", key=True),
        Col("file_path", TEXT, "Path or URI of the PDF."),
        Col("content_hash", TEXT, "Hash of the file content."),
        Col("job_id", TEXT, "Ntropy bank-statement job id."),
        Col("status", TEXT, "discovered | uploading | rejected | processing | completed | error."),
        Col("error_code", TEXT, "Job error code."),
        Col("error_message", TEXT, "Job error message."),
        Col("institution", TEXT, "Issuing institution."),
        Col("account_holder_id", TEXT, "Account holder the statement is assigned to."),
        Col("account_holder_name", TEXT, "Account holder name on the statement."),
        Col("account_number_masked", TEXT, "Masked account number."),
        Col("opening_balance", AMOUNT, "Opening balance."),
        Col("closing_balance", AMOUNT, "Closing balance."),
        Col("total_incoming", AMOUNT, "Total incoming."),
        Col("total_outgoing", AMOUNT, "Total outgoing."),
        Col("start_date", DATE, "Statement period start."),
        Col("end_date", DATE, "Statement period end."),
        Col("is_reconciled", BOOL, "Balances reconcile with the transactions."),
        Col("submitted_at", TS, "When the file was submitted (UTC)."),
        Col("completed_at", TS, "When the job reached a final status (UTC)."),
        _UPDATED_AT,
        Col("file_size", INT, "File size in bytes."),
        Col("page_count", INT, "Pages of the PDF, as reported by the API."),
        Col("account_holder_type", TEXT, "consumer | business (from fast verification; default consumer)."),
        _CURRENCY,
        Col("account_count", INT, "Accounts found in the statement."),
        Col("accounts", TEXT, "Per-account summary as JSON (masked number, balances, totals, period)."),
        Col("transaction_count", INT, "Transactions extracted from the statement."),
        Col("verify_error", TEXT, "Why fast verification failed, when it did."),
        Col("handled_at", TS, "When the results were stored or the job error reported (UTC)."),
        Col("run_id", TEXT, "Dagster run that last wrote the submission state."),
        indexes=(("status",),),
        touch="updated_at",
    ),
    _spec(
        "bank_statement_transactions",
        Col("statement_key", TEXT, "Statement the transaction was read from.", key=True),
        Col("transaction_id", TEXT, "Transaction id generated by the parser.", key=True),
        Col("account_number_masked", TEXT, "Masked account number."),
        Col("date", DATE, "Transaction date."),
        Col("description", TEXT, "Description."),
        Col("amount", AMOUNT, "Amount (>= 0)."),
        Col("entry_type", TEXT, "incoming | outgoing (credit/debit mapped)."),
        _CURRENCY,
        Col("running_balance", AMOUNT, "Running balance after the transaction."),
        Col("page_number", INT, "Page of the PDF."),
        Col("account_index", INT, "Position of the account in the statement's results (0 = first)."),
        Col("row_index", INT, "Position of the transaction in the statement (0 = first)."),
    ),
)

SPECS_BY_NAME: dict[str, TableSpec] = {s.logical: s for s in SPECS}

#: Logical table names, in creation order.
TABLE_NAMES: tuple[str, ...] = tuple(SPECS_BY_NAME)


@dataclass(frozen=True)
class WarehouseTables:
    """The SQLAlchemy ``Table`` objects of one warehouse (prefix and schema applied)."""

    batches: sa.Table
    account_holders: sa.Table
    enriched_transactions: sa.Table
    rejected_transactions: sa.Table
    recurring_groups: sa.Table
    recurring_group_transactions: sa.Table
    income_sources: sa.Table
    bank_statements: sa.Table
    bank_statement_transactions: sa.Table

    def __getitem__(self, logical: str) -> sa.Table:
        if logical not in SPECS_BY_NAME:
            raise KeyError(f"unknown warehouse table {logical!r}; known: {', '.join(TABLE_NAMES)}")
        table: sa.Table = getattr(self, logical)
        return table

    def __iter__(self) -> Iterator[sa.Table]:
        return (getattr(self, f.name) for f in fields(self))


def build_tables(
    metadata: sa.MetaData, *, prefix: str, schema: str | None, with_indexes: bool = True
) -> WarehouseTables:
    """Define every warehouse table on ``metadata``.

    ``with_indexes=False`` leaves out secondary indexes (used for DuckDB: it is columnar and does not
    need them, and it refuses ``ON CONFLICT DO UPDATE`` of columns covered by an index).
    """
    built: dict[str, sa.Table] = {}
    for spec in SPECS:
        name = f"{prefix}{spec.logical}"
        columns = [
            sa.Column(
                c.name,
                c.type,
                nullable=not c.key,
                primary_key=c.key,
                autoincrement=False,
                info={"description": c.doc},
            )
            for c in spec.columns
        ]
        indexes = [sa.Index(_index_name(name, cols), *cols) for cols in spec.indexes] if with_indexes else []
        built[spec.logical] = sa.Table(name, metadata, *columns, *indexes, schema=schema)
    return WarehouseTables(**built)


def _index_name(table: str, columns: tuple[str, ...]) -> str:
    """``ix_<table>_<columns>``, shortened with a hash to fit PostgreSQL's 63-character identifiers."""
    name = f"ix_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    return f"{name[:54]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
