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
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
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
from ntropy_dagster.core.rejected import partition_summary, raise_if_wholly_rejected, write_rejected
from ntropy_dagster.core.submission import SubmissionResult, submit_partition
from ntropy_dagster.core.validation import ColumnMapping, ValidatedInput, validate_transactions
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


def validate_frame(
    context: StepContext, frame: Any, column_mapping: ColumnMapping | None, *, source: str
) -> ValidatedInput:
    """Validate the frame's rows (rejections are kept, not raised) and log the partition's summary;
    ``source`` names the frame in errors. A frame that is not a DataFrame fails without retries."""
    if not isinstance(frame, pd.DataFrame):
        raise dg.Failure(
            f"Expected a pandas DataFrame from {source}, got {type(frame).__name__}", allow_retries=False
        )
    validated = validate_transactions(frame, column_mapping)
    context.log.info(partition_summary(validated, partition_key_of(context)))
    return validated


def validate_raw(context: StepContext, raw: Any, settings: StepSettings) -> ValidatedInput:
    """Validate the raw asset's partition with the pipeline's column mapping."""
    return validate_frame(context, raw, settings.column_mapping, source=settings.keys.raw.to_user_string())


def create_account_holders(
    context: StepContext, client: NtropyClient, warehouse: Warehouse, validated: ValidatedInput
) -> dict[str, Any]:
    """Create the account holders the warehouse does not know yet; return the counts as metadata."""
    with failures(context):
        created, existing = ensure_account_holders(client, warehouse, validated)
    return {
        "ntropy/account_holders_seen": len(validated.account_holders),
        "ntropy/account_holders_created": created,
        "ntropy/account_holders_existing": existing,
    }


def _scope(context: StepContext) -> dict[str, Any]:
    """The keyword arguments every core step takes from the context: its partition and its log."""
    return {"partition_key": partition_key_of(context), "log": context.log}


def record_rejections(context: StepContext, warehouse: Warehouse, validated: ValidatedInput) -> int:
    """Replace the partition's rejected rows (removing its enriched rows that are no longer valid rows),
    then fail the step, without retries, if every row of the partition was rejected; return how many
    rejections were written. An empty partition is not rejected: it has nothing to enrich."""
    partition_key = partition_key_of(context)
    rejected = write_rejected(warehouse, partition_key, validated, log=context.log)
    with failures(context):
        raise_if_wholly_rejected(validated, partition_key)
    return rejected


def submit_validated(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    validated: ValidatedInput,
    options: PipelineOptions,
) -> tuple[SubmissionResult, int]:
    """Record the rejected rows and submit what the ledger does not have yet; return (result, rejections)."""
    rejected = record_rejections(context, warehouse, validated)
    ledger, started = SubmissionLedger(warehouse), time.monotonic()
    with failures(context):
        result = submit_partition(
            client, ledger, validated, options=options, run_id=context.run.run_id, **_scope(context)
        )
    result.duration_seconds = time.monotonic() - started
    _log_submission(context, result)
    return result, rejected


def submit_wait_store_validated(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    validated: ValidatedInput,
    options: PipelineOptions,
) -> tuple[SubmissionResult, EnrichResult, int]:
    """The blocking path: rejected rows, then submit, wait for the batches and store their results."""
    rejected = record_rejections(context, warehouse, validated)
    started = time.monotonic()
    with failures(context):
        submission, result = submit_wait_and_store(
            client, warehouse, validated, options=options, run_id=context.run.run_id, **_scope(context)
        )
    result.duration_seconds = time.monotonic() - started - submission.duration_seconds
    _log_submission(context, submission)
    _log_stored(context, result)
    return submission, result, rejected


def store_validated(
    context: StepContext,
    client: NtropyClient,
    warehouse: Warehouse,
    validated: ValidatedInput,
    options: PipelineOptions,
) -> EnrichResult | None:
    """Upsert the results of the partition's finished batches into the enriched table.

    Returns None, after logging which batches, when some of the partition's batches are still
    processing on Ntropy and the asset is skippable: the step ends without a materialization and the
    batch sensor requests the partition's enrichment when they finish. A partition whose content was
    never submitted fails, without retries. A partition whose rows were all rejected has its enriched
    rows removed, then fails.
    """
    ledger, started = SubmissionLedger(warehouse), time.monotonic()
    with failures(context):
        try:
            result = store_partition_results(
                client, ledger, warehouse, validated, batch_size=options.batch_size, **_scope(context)
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
        raise_if_wholly_rejected(validated, partition_key_of(context))
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


def submission_metadata(validated: ValidatedInput, result: SubmissionResult, rejected: int) -> dict[str, Any]:
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
        "ntropy/valid_rows": len(validated.payloads),
        "ntropy/raw_rows": validated.raw_rows,
        "ntropy/rejected_rows": len({r.row_number for r in validated.rejected}),
        "ntropy/rejections": rejected,
        "ntropy/content_hash": result.content_hash,
        "ntropy/request_ids": result.request_ids,
        "ntropy/duration_seconds": round(result.duration_seconds, 3),
    }


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
    validated: ValidatedInput,
    options: PipelineOptions,
    *,
    lineage: dg.TableColumnLineage | None = None,
    extra_metadata: dict[str, Any] | None = None,
) -> Iterator[EnrichedEvent]:
    """Submit, wait, store, then yield the materialization (with the submission's metadata) and checks."""
    submission, result, rejected = submit_wait_store_validated(context, client, warehouse, validated, options)
    metadata = (
        enriched_metadata(context, warehouse, result, lineage)
        | (extra_metadata or {})
        | submission_metadata(validated, submission, rejected)
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
    submit, wait, store; yields the materialization and the check results."""
    warehouse.ensure_schema()
    validated = validate_frame(context, frame, column_mapping, source="the caller of enrich()")
    holders = create_account_holders(context, client, warehouse, validated)
    yield from enrich_blocking(context, client, warehouse, validated, options, extra_metadata=holders)


def materialize_account_holders(
    context: dg.AssetExecutionContext, raw: Any, settings: StepSettings
) -> dg.MaterializeResult:
    """The account-holders asset: create the partition's account holders the warehouse does not know."""
    warehouse = step_warehouse(context, settings)
    validated = validate_raw(context, raw, settings)
    holders = create_account_holders(context, step_client(context, settings), warehouse, validated)
    # The table is shared by every partition: a partition's rows are the account holders it names.
    total = warehouse.count("account_holders")
    rows = len(validated.account_holders) if context.has_partition_key else total
    metadata = table_metadata(warehouse, "account_holders", rows, **{**holders, TABLE_ROW_COUNT: total})
    return dg.MaterializeResult(metadata=metadata)


def materialize_batches(
    context: dg.AssetExecutionContext, raw: Any, settings: StepSettings
) -> dg.MaterializeResult:
    """The batches asset (sensor mode): submit the partition's new content; the sensor does the rest."""
    warehouse = step_warehouse(context, settings)
    validated = validate_raw(context, raw, settings)
    result, rejected = submit_validated(
        context, step_client(context, settings), warehouse, validated, settings.options
    )
    if result.failed:
        context.log.error(f"Batches that failed for good: {result.failed}")
    metadata = submission_metadata(validated, result, rejected)
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
    validated = validate_raw(context, raw, settings)
    lineage = enriched_lineage(settings.keys.raw, [str(c) for c in raw.columns], settings.column_mapping)
    if settings.blocking:
        yield from enrich_blocking(context, client, warehouse, validated, settings.options, lineage=lineage)
        return
    result = store_validated(context, client, warehouse, validated, settings.options)
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
