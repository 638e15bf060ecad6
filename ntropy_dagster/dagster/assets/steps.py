"""The steps of the transaction path: what every asset, check and ``NtropyResource.enrich`` runs.

Each asset body that :func:`~ntropy_dagster.dagster.assets.build_ntropy_assets` defines is a one-line
wrapper around a ``materialize_*`` function here, which takes the execution context, the raw frame
where the asset reads one, and one frozen :class:`StepSettings`. The write-your-own-body API
(:meth:`~ntropy_dagster.dagster.resources.NtropyResource.enrich`) runs :func:`enrich_frame`, built from
the same functions. They call the Dagster-free core and turn its errors into step failures with
:func:`~ntropy_dagster.dagster.failures.step_failures`; every setting comes from the
:class:`~ntropy_dagster.core.options.PipelineOptions`.
"""

from __future__ import annotations  # no Dagster-decorated function here

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pandas as pd

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.account_holders import ensure_account_holders
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.enrichment import EnrichResult, store_partition_results, submit_wait_and_store
from ntropy_dagster.core.errors import PartitionNotReadyError, PartitionNotSubmittedError
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.marts import refresh_income, refresh_recurring_groups
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.rejected import (
    InputTally,
    RejectionWriter,
    partition_summary,
    raise_if_wholly_rejected,
)
from ntropy_dagster.core.sources import TransactionSource, as_source
from ntropy_dagster.core.submission import SubmissionResult, submit_partition
from ntropy_dagster.core.validation import (
    INPUT_COLUMNS,
    AccountHolderRef,
    ColumnMapping,
    ValidatedInput,
    account_holders_of,
    validate_stream,
    validate_transactions,
)
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.assets.checks import (
    enriched_check_results,
    groups_freshness_result,
    groups_reference_result,
    holders_refreshed_result,
    income_freshness_result,
)
from ntropy_dagster.dagster.assets.common import TABLE_ROW_COUNT, partition_key_of, table_metadata
from ntropy_dagster.dagster.failures import step_failures
from ntropy_dagster.dagster.pipeline import PipelineKeys

#: What a step of the enriched-transactions asset yields.
EnrichedEvent = dg.MaterializeResult | dg.AssetCheckResult
#: The context of an asset step.
StepContext = dg.AssetExecutionContext
#: The contexts that read resources: asset steps and asset checks.
ResourceContext = dg.AssetExecutionContext | dg.AssetCheckExecutionContext

_ENRICHED_SOURCE_COLUMNS = ("description", "date", "amount", "entry_type", "currency", "account_holder_id")


@dataclass(frozen=True)
class StepSettings:
    """Everything the factory's steps need besides the context: one frozen object per pipeline.

    Attributes:
        keys: the pipeline's asset keys (``keys.raw`` names the raw asset in messages and lineage).
        options: every number of the pipeline (batch size, timeouts, thresholds, marts mode, ...).
        column_mapping: how the raw frame's columns map to the v3 input columns (None: they match).
        ntropy_resource_key, warehouse_resource_key: the resources the steps read.
        blocking: the enriched asset submits and waits itself (no batches asset, no sensor).
    """

    keys: PipelineKeys
    options: PipelineOptions
    column_mapping: ColumnMapping | None
    ntropy_resource_key: str
    warehouse_resource_key: str
    blocking: bool

    @property
    def resource_keys(self) -> set[str]:
        """The resources every step requires."""
        return {self.ntropy_resource_key, self.warehouse_resource_key}


def open_warehouse(resource: Any) -> Warehouse:
    """The warehouse of an ``NtropyWarehouseResource``, its tables created if missing."""
    warehouse: Warehouse = resource.get_warehouse()
    warehouse.ensure_schema()
    return warehouse


def step_warehouse(context: ResourceContext, settings: StepSettings) -> Warehouse:
    """The warehouse of the step's warehouse resource, its tables created if missing."""
    return open_warehouse(getattr(context.resources, settings.warehouse_resource_key))


def step_client(context: ResourceContext, settings: StepSettings) -> NtropyClient:
    """The pooled API client of the step's Ntropy resource."""
    client: NtropyClient = getattr(context.resources, settings.ntropy_resource_key).get_client()
    return client


def failures(context: StepContext) -> AbstractContextManager[None]:
    """:func:`step_failures` with the partition the step works on in the failure's metadata."""
    return step_failures(**{"ntropy/partition_key": partition_key_of(context)})


def read_partition(
    raw: Any, column_mapping: ColumnMapping | None, options: PipelineOptions, *, source: str
) -> Iterator[ValidatedInput]:
    """The partition's validated chunks: a DataFrame is validated whole, a streamed source
    (:mod:`ntropy_dagster.core.sources`: Parquet files, a SQL query, an iterator of frames) read and
    validated ``options.read_chunk_rows`` rows at a time. ``source`` names the input in errors; an input of
    any other type fails without retries."""
    stream = _as_source(raw, source)
    if stream is None:  # a DataFrame
        return iter([validate_transactions(raw, column_mapping)])
    return validate_stream(stream.frames(options.read_chunk_rows), column_mapping)


def _as_source(raw: Any, source: str) -> TransactionSource | None:
    """:func:`as_source` of ``raw``; an input of another type fails, without retries, naming ``source``."""
    try:
        return as_source(raw)
    except TypeError as exc:
        raise dg.Failure(f"{source}: {exc}", allow_retries=False) from exc


def read_raw(raw: Any, settings: StepSettings) -> Iterator[ValidatedInput]:
    """The raw asset's partition as validated chunks, with the pipeline's column mapping."""
    return read_partition(
        raw, settings.column_mapping, settings.options, source=settings.keys.raw.to_user_string()
    )


@dataclass
class HolderCounts:
    """The account holders a step's partition names: created by this step, or already existing."""

    seen: set[str] = field(default_factory=set)
    created: int = 0
    existing: int = 0

    def metadata(self) -> dict[str, Any]:
        """The counts as materialization metadata."""
        return {
            "ntropy/account_holders_seen": len(self.seen),
            "ntropy/account_holders_created": self.created,
            "ntropy/account_holders_existing": self.existing,
        }


def create_holders(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    holders: Iterable[AccountHolderRef],
    counts: HolderCounts,
    *,
    rate: float,
) -> None:
    """Create those of ``holders`` that ``counts`` has not seen (and the warehouse does not know), at
    most ``rate`` a second with every other run."""
    new = [h for h in holders if h.id not in counts.seen]
    if new:
        with failures(context):
            created, existing = ensure_account_holders(client, warehouse, new, rate=rate)
        counts.created += created
        counts.existing += existing
        counts.seen.update(h.id for h in new)


def creating_holders(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    chunks: Iterable[ValidatedInput],
    counts: HolderCounts,
    *,
    rate: float,
) -> Iterator[ValidatedInput]:
    """``chunks``, each once the account holders it names exist, counted in ``counts``."""
    for chunk in chunks:
        create_holders(context, client, warehouse, chunk.account_holders, counts, rate=rate)
        yield chunk


def read_holders(raw: Any, settings: StepSettings) -> Iterator[list[AccountHolderRef]]:
    """The account holders the raw asset's partition names, a chunk at a time, from the holder columns
    alone (:func:`~ntropy_dagster.core.validation.account_holders_of`)."""
    stream = _as_source(raw, settings.keys.raw.to_user_string())
    frames = [raw] if stream is None else stream.frames(settings.options.read_chunk_rows)
    for frame in frames:
        yield account_holders_of(frame, settings.column_mapping)


def writing_rejections(chunks: Iterable[ValidatedInput], writer: RejectionWriter) -> Iterator[ValidatedInput]:
    """``chunks``, each once its rejected rows are written."""
    for chunk in chunks:
        writer.add(chunk)
        yield chunk


def _scope(context: StepContext) -> dict[str, Any]:
    """The keyword arguments every core step takes from the context: its partition and its log."""
    return {"partition_key": partition_key_of(context), "log": context.log}


@dataclass
class Reading:
    """What a submitting step learnt while it read its partition."""

    tally: InputTally
    rejections: int

    def check(self, context: StepContext) -> None:
        """Log the partition's summary, then fail, without retries, if every row of it was rejected (an
        empty partition is not rejected: it has nothing to enrich)."""
        partition_key = partition_key_of(context)
        context.log.info(partition_summary(self.tally, partition_key))
        with failures(context):
            raise_if_wholly_rejected(self.tally, partition_key)


def submit_chunks(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    chunks: Iterable[ValidatedInput],
    options: PipelineOptions,
) -> tuple[SubmissionResult, Reading]:
    """Write the partition's rejected rows and submit what the ledger does not have yet, a chunk at a
    time; then remove the enriched rows the partition no longer has as valid rows."""
    tally, writer = InputTally(), RejectionWriter(warehouse, partition_key_of(context), log=context.log)
    ledger, started = SubmissionLedger(warehouse), time.monotonic()
    with failures(context):
        result = submit_partition(
            client,
            ledger,
            writing_rejections(tally.counted(chunks), writer),
            options=options,
            run_id=context.run.run_id,
            **_scope(context),
        )
        assert result.scan is not None
        writer.finish(result.scan.seen)
    result.duration_seconds = time.monotonic() - started
    reading = Reading(tally, writer.written)
    reading.check(context)
    _log_submission(context, result)
    return result, reading


def submit_wait_store_chunks(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    chunks: Iterable[ValidatedInput],
    options: PipelineOptions,
) -> tuple[SubmissionResult, EnrichResult, Reading]:
    """The blocking path: rejected rows and submission a chunk at a time, then wait for the batches and
    store their results."""
    tally, writer = InputTally(), RejectionWriter(warehouse, partition_key_of(context), log=context.log)
    started = time.monotonic()
    with failures(context):
        submission, result = submit_wait_and_store(
            client,
            warehouse,
            writing_rejections(tally.counted(chunks), writer),
            options=options,
            run_id=context.run.run_id,
            **_scope(context),
        )
        writer.finish(None)  # the results step removed what the partition no longer has
    result.duration_seconds = time.monotonic() - started - submission.duration_seconds
    reading = Reading(tally, writer.written)
    reading.check(context)
    _log_submission(context, submission)
    _log_stored(context, result)
    return submission, result, reading


def store_chunks(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    chunks: Iterable[ValidatedInput],
    options: PipelineOptions,
) -> EnrichResult | None:
    """Upsert the results of the partition's finished batches into the enriched table.

    Returns None, after logging which batches, when some of the partition's batches are still
    processing on Ntropy and the asset is skippable: the step ends without a materialization and the
    batch sensor requests the partition's enrichment when they finish. A partition whose content was
    never submitted fails, without retries. A partition whose rows were all rejected has its enriched
    rows removed, then fails.
    """
    tally = InputTally()
    ledger, started = SubmissionLedger(warehouse), time.monotonic()
    with failures(context):
        try:
            result = store_partition_results(
                client,
                ledger,
                warehouse,
                tally.counted(chunks),
                batch_size=options.batch_size,
                **_scope(context),
            )
        except PartitionNotSubmittedError:
            raise  # nothing on Ntropy to wait for: a submission must run first (not retried)
        except PartitionNotReadyError as exc:
            if not all(spec.skippable for spec in context.assets_def.specs):
                raise
            context.log.info(
                f"Not materialized yet: {exc}. The batch sensor requests this partition's enrichment "
                "when they finish."
            )
            return None
    Reading(tally, 0).check(context)
    result.duration_seconds = time.monotonic() - started
    _log_stored(context, result)
    return result


def _log_submission(context: StepContext, result: SubmissionResult) -> None:
    context.log.info(
        f"Partition {partition_key_of(context)}: {result.transactions_submitted} transaction(s) sent in "
        f"{len(result.submitted)} batch(es) ({result.new} new, {result.changed} changed; {result.unchanged} "
        f"unchanged, {result.in_flight} in flight not sent again), "
        f"{len(result.reattached) + len(result.adopted)} batch(es) re-attached in {result.duration_seconds:.1f}s"
    )


def _log_stored(context: StepContext, result: EnrichResult) -> None:
    context.log.info(f"Stored {result.rows_written} enriched transactions in {result.duration_seconds:.1f}s")


def submission_metadata(reading: Reading, result: SubmissionResult) -> dict[str, Any]:
    """What a submission shows on its materialization: batches, counts, content hash, request ids."""
    return {
        "ntropy/batch_ids": result.batch_ids,
        "ntropy/batches_submitted": len(result.submitted),
        "ntropy/batches_reattached": len(result.reattached) + len(result.adopted),
        "ntropy/transactions_submitted": result.transactions_submitted,
        "ntropy/transactions_new": result.new,
        "ntropy/transactions_changed": result.changed,
        "ntropy/transactions_unchanged": result.unchanged,
        "ntropy/transactions_in_flight": result.in_flight,
        "ntropy/transactions_superseded": result.superseded,
        "ntropy/valid_rows": reading.tally.valid_rows,
        "ntropy/raw_rows": reading.tally.raw_rows,
        "ntropy/rejected_rows": reading.tally.rejected_rows,
        "ntropy/rejections": reading.rejections,
        "ntropy/content_hash": result.content_hash,
        "ntropy/request_ids": result.request_ids,
        "ntropy/duration_seconds": round(result.duration_seconds, 3),
    }


def raw_columns(raw: Any, column_mapping: ColumnMapping | None = None) -> list[str]:
    """The raw input's column names: a DataFrame's, a source's selected columns, else the names the
    column mapping gives the v3 input columns (a SQL query's columns are known only once it runs)."""
    if isinstance(raw, pd.DataFrame):
        return [str(c) for c in raw.columns]
    columns = getattr(raw, "columns", None)
    if columns:
        return [str(c) for c in columns]
    raw_name = {v3: name for name, v3 in (column_mapping or ColumnMapping()).columns.items()}
    return [raw_name.get(v3, v3) for v3 in INPUT_COLUMNS]


def enriched_lineage(
    raw_key: dg.AssetKey, raw_columns: Collection[str], column_mapping: ColumnMapping | None = None
) -> dg.TableColumnLineage:
    """Which column of the raw asset (whose frame has ``raw_columns``) each enriched column comes from.

    Columns are named as the raw asset has them, under the pipeline's column mapping; with
    ``entry_type_from_sign`` and no entry-type column the entry type comes from the amount's sign. An
    enriched column whose source the raw frame lacks (e.g. no account holder column) has no entry.
    """
    mapping = column_mapping or ColumnMapping()
    raw_name = {v3: raw for raw, v3 in mapping.columns.items()}
    sources = {"transaction_id": "id"} | {column: column for column in _ENRICHED_SOURCE_COLUMNS}
    deps: dict[str, list[dg.TableColumnDep]] = {}
    for column, v3 in sources.items():
        name = raw_name.get(v3, v3)
        if name not in raw_columns and v3 == "entry_type" and mapping.entry_type_from_sign:
            name = raw_name.get("amount", "amount")
        if name in raw_columns:
            deps[column] = [dg.TableColumnDep(asset_key=raw_key, column_name=name)]
    return dg.TableColumnLineage(deps_by_column=deps)


def partition_table_metadata(
    context: ResourceContext, warehouse: Warehouse, logical: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """:func:`table_metadata` of a table with a ``partition_key`` column: ``dagster/row_count`` is the
    run's partition's rows (the table's when the run has no partition), ``ntropy/table_row_count`` the
    table's."""
    total = warehouse.count(logical)
    rows = (
        warehouse.count(logical, partition_key=context.partition_key) if context.has_partition_key else total
    )
    return table_metadata(warehouse, logical, rows, **{**extra, TABLE_ROW_COUNT: total})


def enriched_metadata(
    context: StepContext,
    warehouse: Warehouse,
    result: EnrichResult,
    lineage: dg.TableColumnLineage | None,
) -> dict[str, Any]:
    """The enriched table's standard metadata (the partition's rows as ``dagster/row_count``, the
    column lineage when the raw asset is known) plus what this partition's results were."""
    extra: dict[str, Any] = {"dagster/column_lineage": lineage} if lineage is not None else {}
    return partition_table_metadata(
        context,
        warehouse,
        "enriched_transactions",
        extra
        | {
            "ntropy/partition_rows": result.rows_written,
            "ntropy/batch_ids": result.batch_ids,
            "ntropy/errored_items": result.errored_items,
            "ntropy/error_codes": dict(result.error_codes),
            "ntropy/failed_batch_ids": result.failed_batch_ids,
            "ntropy/stale_rows_deleted": result.stale_rows_deleted,
            "ntropy/stale_results_skipped": result.stale_results,
            "ntropy/duration_seconds": round(result.duration_seconds, 3),
        },
    )


def enriched_events(
    context: StepContext,
    warehouse: Warehouse,
    result: EnrichResult,
    options: PipelineOptions,
    metadata: dict[str, Any],
) -> Iterator[EnrichedEvent]:
    """The enriched asset's materialization, then the results of its checks that the run selected
    (all of them, unless the asset's step can be subset and the run asked for fewer)."""
    yield dg.MaterializeResult(metadata=metadata)
    selected = {key.name for key in context.selected_asset_check_keys}
    for check_result in enriched_check_results(
        warehouse, partition_key_of(context), result, options.error_rate_threshold
    ):
        if check_result.check_name in selected:
            yield check_result


def enrich_blocking(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    chunks: Iterable[ValidatedInput],
    options: PipelineOptions,
    *,
    lineage: dg.TableColumnLineage | None = None,
    extra_metadata: Callable[[], dict[str, Any]] | None = None,
) -> Iterator[EnrichedEvent]:
    """Submit, wait, store, then yield the materialization (with the submission's metadata, and
    ``extra_metadata()`` once the partition is read) and checks."""
    submission, result, reading = submit_wait_store_chunks(context, client, warehouse, chunks, options)
    metadata = (
        enriched_metadata(context, warehouse, result, lineage)
        | (extra_metadata() if extra_metadata else {})
        | submission_metadata(reading, submission)
    )
    yield from enriched_events(context, warehouse, result, options, metadata)


def enrich_frame(
    context: dg.AssetExecutionContext,
    frame: Any,
    client: NtropyClient,
    warehouse: Warehouse,
    *,
    column_mapping: ColumnMapping | None,
    options: PipelineOptions,
) -> Iterator[EnrichedEvent]:
    """The whole blocking path for the context's partition: validate, rejected rows, account holders,
    submit, wait, store; yields the materialization and the check results. ``frame`` is a DataFrame or
    a streamed source (read a chunk at a time)."""
    warehouse.ensure_schema()
    chunks = read_partition(frame, column_mapping, options, source="the caller of enrich()")
    holders = HolderCounts()
    chunks = creating_holders(context, client, warehouse, chunks, holders, rate=options.account_holder_rate)
    yield from enrich_blocking(context, client, warehouse, chunks, options, extra_metadata=holders.metadata)


def materialize_account_holders(
    context: dg.AssetExecutionContext, raw: Any, settings: StepSettings
) -> dg.MaterializeResult:
    """The account-holders asset: create the partition's account holders the warehouse does not know."""
    warehouse, client, holders = (
        step_warehouse(context, settings),
        step_client(context, settings),
        HolderCounts(),
    )
    for named in read_holders(raw, settings):
        create_holders(context, client, warehouse, named, holders, rate=settings.options.account_holder_rate)
    # The table is shared by every partition: a partition's rows are the account holders it names.
    total = warehouse.count("account_holders")
    rows = len(holders.seen) if context.has_partition_key else total
    metadata = table_metadata(
        warehouse, "account_holders", rows, **{**holders.metadata(), TABLE_ROW_COUNT: total}
    )
    return dg.MaterializeResult(metadata=metadata)


def materialize_batches(
    context: dg.AssetExecutionContext, raw: Any, settings: StepSettings
) -> dg.MaterializeResult:
    """The batches asset (sensor mode): submit the partition's new content; the sensor does the rest."""
    warehouse = step_warehouse(context, settings)
    result, reading = submit_chunks(
        context, step_client(context, settings), warehouse, read_raw(raw, settings), settings.options
    )
    if result.failed:
        context.log.error(f"Batches that failed for good: {result.failed}")
    metadata = submission_metadata(reading, result)
    return dg.MaterializeResult(metadata=partition_table_metadata(context, warehouse, "batches", metadata))


def materialize_enriched(
    context: dg.AssetExecutionContext, raw: Any, settings: StepSettings
) -> Iterator[EnrichedEvent]:
    """The enriched asset: store the finished batches' results (blocking mode: submit and wait first).

    Sensor mode: while the partition's batches are still processing, the step ends without a
    materialization and without check results (the asset is skippable); the batch sensor requests the
    run again when they finish. Its checks are evaluated with the materialization, never alone.
    """
    if settings.keys.enriched not in context.selected_asset_keys:
        raise dg.Failure(
            f"The checks of {settings.keys.enriched.to_user_string()} are evaluated when it is materialized: "
            "select the asset too",
            allow_retries=False,
        )
    client, warehouse = step_client(context, settings), step_warehouse(context, settings)
    chunks = read_raw(raw, settings)
    columns = raw_columns(raw, settings.column_mapping)
    lineage = enriched_lineage(settings.keys.raw, columns, settings.column_mapping)
    if settings.blocking:
        yield from enrich_blocking(context, client, warehouse, chunks, settings.options, lineage=lineage)
        return
    result = store_chunks(context, client, warehouse, chunks, settings.options)
    if result is None:
        return  # batches still processing: no materialization and no check results in this run
    metadata = enriched_metadata(context, warehouse, result, lineage)
    yield from enriched_events(context, warehouse, result, settings.options, metadata)


def materialize_recurring_groups(
    context: dg.AssetExecutionContext, settings: StepSettings
) -> Iterator[EnrichedEvent]:
    """The recurring-groups mart: refresh the groups of account holders with new enriched rows, then
    evaluate its checks (group references, every holder refreshed, freshness)."""
    warehouse = step_warehouse(context, settings)
    with step_failures():
        refresh = refresh_recurring_groups(
            step_client(context, settings),
            warehouse,
            as_of_mode=settings.options.marts_as_of,
            log=context.log,
        )
    total = warehouse.count("recurring_groups")
    metadata = {
        "ntropy/account_holders_refreshed": len(refresh.refreshed),
        "ntropy/account_holders_failed": dg.MetadataValue.json(refresh.failed),
    }
    yield dg.MaterializeResult(metadata=table_metadata(warehouse, "recurring_groups", total, **metadata))
    yield groups_reference_result(warehouse)
    yield holders_refreshed_result(refresh.failed, len(refresh.refreshed))
    yield groups_freshness_result(warehouse)


def materialize_income(context: dg.AssetExecutionContext, settings: StepSettings) -> Iterator[EnrichedEvent]:
    """The income mart: derive income sources from the enriched table and the recurring groups, then
    evaluate its freshness check."""
    warehouse = step_warehouse(context, settings)
    started = utcnow()
    sources = refresh_income(warehouse, as_of_mode=settings.options.marts_as_of)
    total = warehouse.count("income_sources")
    yield dg.MaterializeResult(
        metadata=table_metadata(warehouse, "income_sources", total, **{"ntropy/sources": sources})
    )
    yield income_freshness_result(warehouse, started)
