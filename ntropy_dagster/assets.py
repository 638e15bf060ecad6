"""The asset factory: raw transactions -> account holders -> batches -> enriched table -> marts.

:func:`build_ntropy_assets` returns a :class:`NtropyPipeline` holding the asset definitions, their
checks and the batch sensor, ready for ``dg.Definitions``. Nothing here calls the API or opens a
database connection at definition time: loading the code location is free.
"""

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from dagster import AssetCheckExecutionContext, AssetExecutionContext

from ntropy_dagster.client import APIError, BadRequestError
from ntropy_dagster.marts import INCOME_TRANSACTION_COLUMNS, income_source_rows, recurring_group_rows
from ntropy_dagster.pipeline.enrich import EnrichResult, store_partition_results
from ntropy_dagster.pipeline.inputs import ColumnMapping, ValidatedInput, validate_transactions
from ntropy_dagster.pipeline.ledger import PROCESSING, UNPARTITIONED, SubmissionLedger, utcnow
from ntropy_dagster.pipeline.results import ENRICHED_COLUMNS
from ntropy_dagster.pipeline.status import refresh_in_flight
from ntropy_dagster.pipeline.submit import SubmissionResult, SubmitOptions, submit_partition
from ntropy_dagster.resources import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.translator import DagsterNtropyTranslator, NtropyAssetProps
from ntropy_dagster.warehouse import Warehouse

#: The Dagster concurrency pool every API-calling step declares. Match the API's per-key limit with
#: ``dagster instance concurrency set ntropy_api 10``.
NTROPY_POOL = "ntropy_api"

CoercibleToAssetKey = dg.AssetKey | str | Sequence[str] | dg.AssetsDefinition | dg.AssetSpec


@dataclass(frozen=True)
class PipelineKeys:
    """The asset keys of one pipeline (after the translator)."""

    raw: dg.AssetKey
    account_holders: dg.AssetKey
    batches: dg.AssetKey | None
    enriched: dg.AssetKey
    recurring_groups: dg.AssetKey | None
    income: dg.AssetKey | None


@dataclass
class NtropyPipeline:
    """Everything :func:`build_ntropy_assets` made, for ``dg.Definitions(...)``."""

    keys: PipelineKeys
    assets: list[dg.AssetsDefinition]
    asset_checks: list[dg.AssetChecksDefinition] = field(default_factory=list)
    sensors: list[dg.SensorDefinition] = field(default_factory=list)
    partitions_def: dg.PartitionsDefinition | None = None


def _raw_key(raw: CoercibleToAssetKey) -> dg.AssetKey:
    if isinstance(raw, dg.AssetsDefinition):
        return raw.key
    if isinstance(raw, dg.AssetSpec):
        return raw.key
    return dg.AssetKey.from_coercible(raw)


def partition_key_of(context: AssetExecutionContext | dg.OpExecutionContext) -> str:
    """The run's partition key, or :data:`UNPARTITIONED`."""
    return context.partition_key if context.has_partition_key else UNPARTITIONED


def table_metadata(warehouse: Warehouse, logical: str, row_count: int, **extra: Any) -> dict[str, Any]:
    """The standard table metadata: row count, table name and column schema."""
    columns = [
        dg.TableColumn(name, type_str, description=description)
        for name, type_str, description in warehouse.column_schema(logical)
    ]
    return {
        "dagster/row_count": row_count,
        "dagster/table_name": warehouse.table_name(logical),
        "dagster/column_schema": dg.TableSchema(columns=columns),
        **extra,
    }


def _enriched_lineage(raw_key: dg.AssetKey) -> dg.TableColumnLineage:
    deps = {"transaction_id": "id"} | {
        c: c for c in ("description", "date", "amount", "entry_type", "currency")
    }
    deps["account_holder_id"] = "account_holder_id"
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=raw_key, column_name=source)]
            for column, source in deps.items()
        }
    )


def build_ntropy_assets(
    raw_transactions: CoercibleToAssetKey,
    *,
    partitions_def: dg.PartitionsDefinition | None = None,
    column_mapping: ColumnMapping | None = None,
    translator: DagsterNtropyTranslator | None = None,
    blocking: bool = False,
    blocking_timeout: float = 3600.0,
    submit_options: SubmitOptions | None = None,
    error_rate_threshold: float = 0.05,
    include_marts: bool = True,
    marts_as_of: str = "data",
    ntropy_resource_key: str = "ntropy",
    warehouse_resource_key: str = "ntropy_warehouse",
    owners: Sequence[str] | None = None,
    tags: dict[str, str] | None = None,
    extra_mart_deps: Sequence[dg.AssetKey] = (),
    sensor_name: str = "ntropy_batch_sensor",
    sensor_minimum_interval_seconds: int = 30,
    sensor_default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> NtropyPipeline:
    """Build the Ntropy enrichment assets downstream of your raw-transactions asset.

    Args:
        raw_transactions: the asset holding raw transactions as a pandas DataFrame (loaded through its
            IO manager), one partition per day by default. Columns: see
            :data:`ntropy_dagster.pipeline.inputs.INPUT_COLUMNS`; map other names with ``column_mapping``.
        partitions_def: partitions of the raw asset and of the enrichment assets. Defaults to the raw
            asset's partitions when an AssetsDefinition is passed; None = unpartitioned.
        blocking: if True, one ``enriched_transactions`` step submits and waits for the batches (no
            sensor, no daemon needed); else ``ntropy_batches`` submits and the batch sensor requests
            the enrichment run when the remote work is done.
        blocking_timeout: seconds the blocking step waits for its batches.
        submit_options: batch size, resubmission attempts, in-flight cap.
        error_rate_threshold: the per-item error rate above which the error-rate check fails.
        include_marts: add the recurring-groups and income marts.
        marts_as_of: ``"data"`` (default): a recurring group is active relative to the account holder's
            latest transaction; ``"today"``: relative to the run date.
        owners, tags: added to every asset spec (the translator can override).
        extra_mart_deps: other assets that write to the enriched table (e.g. the bank-statement
            path); the marts depend on them too.
        sensor_name, sensor_minimum_interval_seconds, sensor_default_status: the batch sensor's
            settings (sensor mode only).
    """
    translator = translator or DagsterNtropyTranslator()
    submit_options = submit_options or SubmitOptions()
    if partitions_def is None and isinstance(raw_transactions, dg.AssetsDefinition):
        partitions_def = raw_transactions.partitions_def
    raw_key = _raw_key(raw_transactions)
    resource_keys = {ntropy_resource_key, warehouse_resource_key}

    def spec_for(props: NtropyAssetProps, **attrs: Any) -> dg.AssetSpec:
        spec = translator.get_asset_spec(props)
        if owners:
            spec = spec.merge_attributes(owners=list(owners))
        if tags:
            spec = spec.merge_attributes(tags=tags)
        return spec.replace_attributes(**attrs) if attrs else spec

    def resources(context: Any) -> tuple[NtropyResource, Warehouse]:
        ntropy: NtropyResource = getattr(context.resources, ntropy_resource_key)
        warehouse_resource: NtropyWarehouseResource = getattr(context.resources, warehouse_resource_key)
        warehouse = warehouse_resource.get_warehouse()
        warehouse.ensure_schema()
        return ntropy, warehouse

    def validate(context: AssetExecutionContext, raw: pd.DataFrame) -> ValidatedInput:
        if not isinstance(raw, pd.DataFrame):
            raise dg.Failure(
                f"{raw_key.to_user_string()} must produce a pandas DataFrame, got {type(raw).__name__}"
            )
        validated = validate_transactions(raw, column_mapping)
        context.log.info(
            f"{validated.raw_rows} raw rows: {len(validated.payloads)} valid, "
            f"{len({r.row_number for r in validated.rejected})} rejected"
        )
        return validated

    raw_in = {"raw": dg.AssetIn(key=raw_key)}
    holders_spec = spec_for(NtropyAssetProps("account_holders", deps=(raw_key,)), deps=[raw_key])
    enriched_props = NtropyAssetProps(
        "enriched_transactions", table_name="enriched_transactions", deps=(raw_key,)
    )
    keys_enriched = spec_for(enriched_props).key

    @dg.multi_asset(
        name=_op_name(holders_spec.key),
        specs=[holders_spec],
        ins=raw_in,
        partitions_def=partitions_def,
        required_resource_keys=resource_keys,
        pool=NTROPY_POOL,
    )
    def account_holders_asset(context: AssetExecutionContext, raw: pd.DataFrame) -> dg.MaterializeResult:
        ntropy, warehouse = resources(context)
        validated = validate(context, raw)
        with api_failures():
            created, existing = ensure_account_holders(ntropy, warehouse, validated)
        total = warehouse.count("account_holders")
        return dg.MaterializeResult(
            metadata=table_metadata(
                warehouse,
                "account_holders",
                total,
                **{
                    "ntropy/account_holders_seen": len(validated.account_holders),
                    "ntropy/account_holders_created": created,
                    "ntropy/account_holders_existing": existing,
                },
            )
        )

    assets: list[dg.AssetsDefinition] = [account_holders_asset]

    def write_rejected(
        context: AssetExecutionContext, warehouse: Warehouse, validated: ValidatedInput
    ) -> int:
        partition_key = partition_key_of(context)
        warehouse.delete_where("rejected_transactions", partition_key=partition_key)
        now = utcnow()
        rows = [
            {
                "partition_key": partition_key,
                "row_number": r.row_number,
                "transaction_id": r.transaction_id,
                "field": r.field,
                "reason": r.reason,
                "raw_row": r.raw_row,
                "rejected_at": now,
            }
            for r in validated.rejected
        ]
        if rows:
            warehouse.upsert("rejected_transactions", rows)
            for r in validated.rejected[:20]:
                context.log.warning(
                    f"Rejected row {r.row_number} ({r.transaction_id}): {r.field}: {r.reason}"
                )
        return len(rows)

    def submit(
        context: AssetExecutionContext, raw: pd.DataFrame
    ) -> tuple[ValidatedInput, SubmissionResult, int]:
        ntropy, warehouse = resources(context)
        validated = validate(context, raw)
        rejected = write_rejected(context, warehouse, validated)
        started = time.monotonic()
        with api_failures():
            result = submit_partition(
                ntropy.get_client(),
                SubmissionLedger(warehouse),
                validated,
                partition_key=partition_key_of(context),
                options=submit_options,
                run_id=context.run_id,
                log=context.log,
            )
        result.duration_seconds = time.monotonic() - started
        context.log.info(
            f"Partition {partition_key_of(context)}: {len(result.submitted)} batch(es) submitted, "
            f"{len(result.reattached) + len(result.adopted)} re-attached in {time.monotonic() - started:.1f}s"
        )
        return validated, result, rejected

    def submission_metadata(
        validated: ValidatedInput, result: SubmissionResult, rejected: int
    ) -> dict[str, Any]:
        return {
            "ntropy/batch_ids": result.batch_ids,
            "ntropy/batches_submitted": len(result.submitted),
            "ntropy/batches_reattached": len(result.reattached) + len(result.adopted),
            "ntropy/transactions_submitted": result.transactions_submitted,
            "ntropy/valid_rows": len(validated.payloads),
            "ntropy/raw_rows": validated.raw_rows,
            "ntropy/rejected_rows": len({r.row_number for r in validated.rejected}),
            "ntropy/rejections": rejected,
            "ntropy/content_hash": result.content_hash,
            "ntropy/request_ids": result.request_ids,
            "ntropy/duration_seconds": round(result.duration_seconds, 3),
        }

    def store(
        context: AssetExecutionContext, raw_validated: ValidatedInput
    ) -> tuple[EnrichResult, Warehouse]:
        ntropy, warehouse = resources(context)
        started = time.monotonic()
        with api_failures():
            result = store_partition_results(
                ntropy.get_client(),
                SubmissionLedger(warehouse),
                warehouse,
                raw_validated,
                partition_key=partition_key_of(context),
                batch_size=submit_options.batch_size,
                log=context.log,
            )
        result.duration_seconds = time.monotonic() - started
        context.log.info(
            f"Stored {result.rows_written} enriched transactions in {time.monotonic() - started:.1f}s"
        )
        return result, warehouse

    def enriched_metadata(result: EnrichResult, warehouse: Warehouse) -> dict[str, Any]:
        total = warehouse.count("enriched_transactions")
        return table_metadata(
            warehouse,
            "enriched_transactions",
            total,
            **{
                "dagster/column_lineage": _enriched_lineage(raw_key),
                "ntropy/partition_rows": result.rows_written,
                "ntropy/batch_ids": result.batch_ids,
                "ntropy/errored_items": result.errored_items,
                "ntropy/error_codes": dict(result.error_codes),
                "ntropy/failed_batch_ids": result.failed_batch_ids,
                "ntropy/stale_rows_deleted": result.stale_rows_deleted,
                "ntropy/duration_seconds": round(result.duration_seconds, 3),
            },
        )

    enriched_checks = _enriched_check_specs(keys_enriched, error_rate_threshold)

    upstream_key = holders_spec.key
    if not blocking:
        batches_spec = spec_for(
            NtropyAssetProps("batches", table_name="batches", deps=(raw_key,)),
            deps=[raw_key, holders_spec.key],
        )
        upstream_key = batches_spec.key

        @dg.multi_asset(
            name=_op_name(batches_spec.key),
            specs=[batches_spec],
            ins=raw_in,
            partitions_def=partitions_def,
            required_resource_keys=resource_keys,
            pool=NTROPY_POOL,
        )
        def batches_asset(context: AssetExecutionContext, raw: pd.DataFrame) -> dg.MaterializeResult:
            validated, result, rejected = submit(context, raw)
            _, warehouse = resources(context)
            if result.failed:
                context.log.error(f"Batches that failed for good: {result.failed}")
            return dg.MaterializeResult(
                metadata=table_metadata(
                    warehouse,
                    "batches",
                    warehouse.count("batches", partition_key=partition_key_of(context)),
                    **submission_metadata(validated, result, rejected),
                )
            )

        assets.append(batches_asset)

    enriched_spec = spec_for(enriched_props, deps=[raw_key, upstream_key])

    @dg.multi_asset(
        name=_op_name(enriched_spec.key),
        specs=[enriched_spec],
        ins=raw_in,
        partitions_def=partitions_def,
        required_resource_keys=resource_keys,
        pool=NTROPY_POOL,
        check_specs=enriched_checks,
    )
    def enriched_asset(context: AssetExecutionContext, raw: pd.DataFrame) -> Iterator[Any]:
        if blocking:
            # Blocking mode: submit, wait for the batches, then fetch, all in this one step.
            validated, submission, rejected = submit(context, raw)
            ntropy, warehouse = resources(context)
            wait_for_partition(
                context, ntropy, warehouse, partition_key_of(context), timeout=blocking_timeout
            )
            extra = submission_metadata(validated, submission, rejected)
        else:
            validated, extra = validate(context, raw), {}
        result, warehouse = store(context, validated)
        yield dg.MaterializeResult(metadata=enriched_metadata(result, warehouse) | extra)
        yield from _enriched_check_results(warehouse, partition_key_of(context), result, error_rate_threshold)

    assets.append(enriched_asset)

    keys_groups = keys_income = None
    checks: list[dg.AssetChecksDefinition] = []
    if include_marts:
        mart_assets, checks = _build_marts(
            spec_for,
            enriched_spec.key,
            list(extra_mart_deps),
            resources,
            resource_keys,
            as_of_mode=marts_as_of,
        )
        assets.extend(mart_assets)
        keys_groups, keys_income = (a.key for a in mart_assets)

    keys_batches = None if blocking else batches_spec.key
    keys = PipelineKeys(raw_key, holders_spec.key, keys_batches, enriched_spec.key, keys_groups, keys_income)
    pipeline = NtropyPipeline(keys=keys, assets=assets, asset_checks=checks, partitions_def=partitions_def)
    if not blocking:
        from ntropy_dagster.sensors import build_ntropy_batch_sensor

        pipeline.sensors.append(
            build_ntropy_batch_sensor(
                keys,
                name=sensor_name,
                minimum_interval_seconds=sensor_minimum_interval_seconds,
                default_status=sensor_default_status,
                partitions_def=partitions_def,
                ntropy_resource_key=ntropy_resource_key,
                warehouse_resource_key=warehouse_resource_key,
                max_attempts=submit_options.max_attempts,
            )
        )
    return pipeline


@contextmanager
def api_failures() -> Iterator[None]:
    """Turn an Ntropy API error into a Dagster Failure whose metadata shows status and request id."""
    try:
        yield
    except APIError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={
                "ntropy/status_code": exc.status_code,
                "ntropy/request_id": exc.request_id or "",
                "ntropy/method": exc.method or "",
                "ntropy/path": exc.path or "",
            },
        ) from exc


def _op_name(key: dg.AssetKey) -> str:
    return "__".join(key.path).replace("-", "_")


def ensure_account_holders(
    ntropy: NtropyResource, warehouse: Warehouse, validated: ValidatedInput
) -> tuple[int, int]:
    """Create the account holders of ``validated`` that the warehouse has not recorded yet.

    Returns (created, already existing). An account holder that exists on the API but not in the
    warehouse (400 duplicate) is recorded and counted as existing.
    """
    if not validated.account_holders:
        return 0, 0
    table = warehouse.tables.account_holders
    with warehouse.engine.connect() as conn:
        known = {r[0] for r in conn.execute(sa.select(table.c.account_holder_id))}
    client = ntropy.get_client()
    created = existing = 0
    rows = []
    for holder in validated.account_holders:
        if holder.id in known:
            existing += 1
            continue
        try:
            client.account_holders.create(holder.id, holder.type)
            created += 1
        except BadRequestError:
            # The API answers 400 for an id it already has: created by an earlier, interrupted run.
            existing += 1
        rows.append({"account_holder_id": holder.id, "type": holder.type, "created_at": utcnow()})
    if rows:
        warehouse.upsert("account_holders", rows)
    return created, existing


def wait_for_partition(
    context: Any,
    ntropy: NtropyResource,
    warehouse: Warehouse,
    partition_key: str,
    *,
    timeout: float,
    poll_interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Blocking mode: poll the partition's batches until none is processing, logging progress."""
    ledger = SubmissionLedger(warehouse)
    client = ntropy.get_client()
    deadline = time.monotonic() + timeout
    while True:
        rows = [r for r in ledger.latest(partition_key) if r.status == PROCESSING]
        if not rows:
            return
        refresh_in_flight(client, ledger, rows=rows)
        rows = [r for r in ledger.latest(partition_key) if r.status == PROCESSING]
        if not rows:
            return
        done = sum(r.progress for r in rows)
        total = sum(r.total for r in rows)
        context.log.info(f"Waiting for {len(rows)} batch(es): {done}/{total} transactions processed")
        if time.monotonic() > deadline:
            raise dg.Failure(
                f"Ntropy batches {[r.batch_id for r in rows]} still processing after {timeout:.0f}s",
                metadata={"ntropy/batch_ids": [r.batch_id for r in rows]},
            )
        sleep(poll_interval)


def _enriched_check_specs(key: dg.AssetKey, threshold: float) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "all_valid_rows_enriched",
            asset=key,
            blocking=True,
            description="Every valid raw row of the partition has an enriched row (no batch failed).",
        ),
        dg.AssetCheckSpec(
            "item_error_rate",
            asset=key,
            description=f"Share of transactions Ntropy returned with a per-item error is at most {threshold:.0%}.",
        ),
        dg.AssetCheckSpec(
            "unique_transaction_ids",
            asset=key,
            blocking=True,
            description="No transaction id appears twice in the enriched table.",
        ),
    ]


def _enriched_check_results(
    warehouse: Warehouse, partition_key: str, result: EnrichResult, threshold: float
) -> Iterator[dg.AssetCheckResult]:
    table = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        partition_rows = conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.partition_key == partition_key)
        ).scalar_one()
        duplicates = conn.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(table.c.transaction_id)
                .group_by(table.c.transaction_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        ).scalar_one()
    ledger_total = sum(r.total for r in SubmissionLedger(warehouse).latest(partition_key))
    yield dg.AssetCheckResult(
        check_name="all_valid_rows_enriched",
        passed=not result.failed_batch_ids and partition_rows >= ledger_total,
        description=(
            f"batches failed for good: {result.failed_batch_ids} ({'; '.join(result.failure_messages)})"
            if result.failed_batch_ids
            else None
        ),
        metadata={
            "submitted": ledger_total,
            "enriched": partition_rows,
            "failed_batch_ids": result.failed_batch_ids,
        },
    )
    rate = result.errored_items / result.rows_written if result.rows_written else 0.0
    yield dg.AssetCheckResult(
        check_name="item_error_rate",
        passed=rate <= threshold,
        metadata={"error_rate": rate, "threshold": threshold, "error_codes": dict(result.error_codes)},
    )
    yield dg.AssetCheckResult(
        check_name="unique_transaction_ids",
        passed=duplicates == 0,
        metadata={"duplicated_ids": duplicates},
    )


def _build_marts(
    spec_for: Callable[..., dg.AssetSpec],
    enriched_key: dg.AssetKey,
    extra_deps: list[dg.AssetKey],
    resources: Callable[[Any], tuple[NtropyResource, Warehouse]],
    resource_keys: set[str],
    *,
    as_of_mode: str,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    automation = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
    groups_spec = spec_for(
        NtropyAssetProps("recurring_groups", table_name="recurring_groups"),
        deps=[enriched_key, *extra_deps],
        automation_condition=automation,
    )
    income_spec = spec_for(
        NtropyAssetProps("income", table_name="income_sources"),
        deps=[groups_spec.key, enriched_key, *extra_deps],
        automation_condition=automation,
    )

    @dg.multi_asset(
        name=_op_name(groups_spec.key),
        specs=[groups_spec],
        required_resource_keys=resource_keys,
        pool=NTROPY_POOL,
        check_specs=[
            dg.AssetCheckSpec(
                "groups_reference_stored_transactions",
                asset=groups_spec.key,
                description="Every transaction of every recurring group is in the enriched table.",
            )
        ],
    )
    def recurring_groups_asset(context: AssetExecutionContext) -> Iterator[Any]:
        ntropy, warehouse = resources(context)
        with api_failures():
            holders = refresh_recurring_groups(ntropy, warehouse, as_of_mode=as_of_mode, log=context.log)
        missing = _dangling_group_transactions(warehouse)
        yield dg.MaterializeResult(
            metadata=table_metadata(
                warehouse,
                "recurring_groups",
                warehouse.count("recurring_groups"),
                **{"ntropy/account_holders_refreshed": len(holders)},
            )
        )
        yield dg.AssetCheckResult(
            check_name="groups_reference_stored_transactions",
            passed=missing == 0,
            metadata={"dangling_transaction_refs": missing},
        )

    @dg.multi_asset(name=_op_name(income_spec.key), specs=[income_spec], required_resource_keys=resource_keys)
    def income_asset(context: AssetExecutionContext) -> dg.MaterializeResult:
        _, warehouse = resources(context)
        sources = refresh_income(warehouse, as_of_mode=as_of_mode)
        return dg.MaterializeResult(
            metadata=table_metadata(
                warehouse, "income_sources", warehouse.count("income_sources"), **{"ntropy/sources": sources}
            )
        )

    freshness_checks = [
        _mart_freshness_check(spec.key, logical, enriched_key, resources, resource_keys)
        for spec, logical in ((groups_spec, "recurring_groups"), (income_spec, "income_sources"))
    ]
    return [recurring_groups_asset, income_asset], freshness_checks


def _mart_freshness_check(
    mart_key: dg.AssetKey,
    logical: str,
    enriched_key: dg.AssetKey,
    resources: Callable[[Any], tuple[NtropyResource, Warehouse]],
    resource_keys: set[str],
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart_key,
        name="not_older_than_enriched_table",
        description=f"The mart was refreshed after the last write to {enriched_key.to_user_string()}.",
        required_resource_keys=resource_keys,
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        _, warehouse = resources(context)
        enriched = warehouse.tables.enriched_transactions
        mart = (
            warehouse.tables[logical]
            if hasattr(warehouse.tables, "__getitem__")
            else getattr(warehouse.tables, logical)
        )
        with warehouse.engine.connect() as conn:
            last_enriched = conn.execute(sa.select(sa.func.max(enriched.c.enriched_at))).scalar()
            last_refresh = conn.execute(sa.select(sa.func.max(mart.c.refreshed_at))).scalar()
        passed = last_enriched is None or (last_refresh is not None and last_refresh >= last_enriched)
        return dg.AssetCheckResult(
            passed=passed,
            metadata={"last_enriched_at": str(last_enriched), "last_refreshed_at": str(last_refresh)},
        )

    return _check


def _dangling_group_transactions(warehouse: Warehouse) -> int:
    links = warehouse.tables.recurring_group_transactions
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(links)
            .where(~sa.exists().where(enriched.c.transaction_id == links.c.transaction_id))
        ).scalar_one()


def refresh_recurring_groups(
    ntropy: NtropyResource, warehouse: Warehouse, *, as_of_mode: str = "data", log: Any = None
) -> list[str]:
    """Refresh the recurring groups of every account holder with enriched rows newer than its groups.

    Returns the account holders refreshed. Each holder's groups replace its previous ones.
    """
    enriched = warehouse.tables.enriched_transactions
    holders_t = warehouse.tables.account_holders
    with warehouse.engine.connect() as conn:
        latest = conn.execute(
            sa.select(
                enriched.c.account_holder_id,
                sa.func.max(enriched.c.enriched_at),
                sa.func.max(enriched.c.date),
            )
            .where(enriched.c.account_holder_id != "")
            .group_by(enriched.c.account_holder_id)
        ).all()
        refreshed = dict(
            conn.execute(sa.select(holders_t.c.account_holder_id, holders_t.c.groups_refreshed_at)).all()
        )
    client = ntropy.get_client()
    done: list[str] = []
    today = dt.date.today()
    for holder_id, last_enriched, last_date in latest:
        previous = refreshed.get(holder_id)
        if previous is not None and last_enriched is not None and _naive(previous) >= _naive(last_enriched):
            continue
        groups = [g.model_dump(mode="json") for g in client.account_holders.recurring_groups(holder_id)]
        as_of = today if as_of_mode == "today" else _as_date(last_date) or today
        amounts, currencies = _transaction_facts(warehouse, holder_id)
        group_rows, link_rows = recurring_group_rows(
            groups, account_holder_id=holder_id, as_of=as_of, currency_by_tx=currencies, amounts_by_tx=amounts
        )
        now = utcnow()
        for row in group_rows:
            row["refreshed_at"] = now
        warehouse.delete_where("recurring_group_transactions", account_holder_id=holder_id)
        warehouse.delete_where("recurring_groups", account_holder_id=holder_id)
        if group_rows:
            warehouse.upsert("recurring_groups", group_rows)
        if link_rows:
            warehouse.upsert("recurring_group_transactions", link_rows)
        with warehouse.begin() as conn:
            conn.execute(
                sa.update(holders_t)
                .where(holders_t.c.account_holder_id == holder_id)
                .values(groups_refreshed_at=now)
            )
        if log is not None:
            log.info(f"Account holder {holder_id}: {len(group_rows)} recurring group(s)")
        done.append(holder_id)
    return done


def refresh_income(warehouse: Warehouse, *, as_of_mode: str = "data", holders_per_chunk: int = 500) -> int:
    """Rebuild the income-sources mart from the recurring groups and incoming enriched transactions.

    Works through account holders in chunks so memory stays bounded. Returns the number of sources.
    """
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        holders = [
            r[0]
            for r in conn.execute(
                sa.select(enriched.c.account_holder_id)
                .where(enriched.c.account_holder_id != "")
                .distinct()
                .order_by(enriched.c.account_holder_id)
            )
        ]
    total = 0
    now = utcnow()
    for start in range(0, len(holders), holders_per_chunk):
        chunk = holders[start : start + holders_per_chunk]
        groups = warehouse.read_frame(
            sa.select(warehouse.tables.recurring_groups).where(
                warehouse.tables.recurring_groups.c.account_holder_id.in_(chunk)
            )
        )
        incoming = warehouse.read_frame(
            sa.select(*(enriched.c[c] for c in INCOME_TRANSACTION_COLUMNS)).where(
                enriched.c.account_holder_id.in_(chunk) & (enriched.c.entry_type == "incoming")
            )
        )
        as_of = dt.date.today()
        if as_of_mode == "data" and not incoming.empty:
            as_of = _as_date(pd.to_datetime(incoming["date"]).max()) or as_of
        rows = income_source_rows(groups.to_dict("records"), incoming, as_of=as_of)
        for row in rows:
            row["refreshed_at"] = now
        for holder_id in chunk:
            warehouse.delete_where("income_sources", account_holder_id=holder_id)
        if rows:
            warehouse.upsert("income_sources", rows)
        total += len(rows)
    return total


def _transaction_facts(warehouse: Warehouse, holder_id: str) -> tuple[dict[str, float], dict[str, str]]:
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        rows = conn.execute(
            sa.select(enriched.c.transaction_id, enriched.c.amount, enriched.c.currency).where(
                enriched.c.account_holder_id == holder_id
            )
        ).all()
    return {r[0]: float(r[1]) for r in rows}, {r[0]: r[2] for r in rows}


def _naive(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


__all__ = [
    "ENRICHED_COLUMNS",
    "NTROPY_POOL",
    "UNPARTITIONED",
    "NtropyPipeline",
    "PipelineKeys",
    "build_ntropy_assets",
    "ensure_account_holders",
    "refresh_income",
    "refresh_recurring_groups",
]
