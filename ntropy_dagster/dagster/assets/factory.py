"""The asset factory: raw transactions -> account holders -> batches -> enriched table -> marts.

:func:`build_ntropy_assets` returns a :class:`NtropyPipeline` holding the asset definitions, their
checks and the batch sensor, ready for ``dg.Definitions``. Nothing here calls the API or opens a
database connection at definition time: loading the code location is free.
"""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from ntropy_dagster.core.account_holders import ensure_account_holders
from ntropy_dagster.core.enrichment import EnrichResult, store_partition_results
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.options import SubmitOptions
from ntropy_dagster.core.rejected import write_rejected
from ntropy_dagster.core.status import wait_for_partition
from ntropy_dagster.core.submission import SubmissionResult, submit_partition
from ntropy_dagster.core.validation import ColumnMapping, ValidatedInput, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.assets.checks import enriched_check_results, enriched_check_specs
from ntropy_dagster.dagster.assets.common import (
    NTROPY_POOL,
    CoercibleToAssetKey,
    api_failures,
    op_name,
    partition_key_of,
    raw_key_of,
    table_metadata,
)
from ntropy_dagster.dagster.assets.marts import build_mart_assets
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetProps


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
            :data:`ntropy_dagster.core.validation.INPUT_COLUMNS`; map other names with ``column_mapping``.
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
    raw_key = raw_key_of(raw_transactions)
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

    def raw_step(spec: dg.AssetSpec, **extra: Any) -> Any:
        """The decorator of a step that reads the raw partition and calls the API."""
        return dg.multi_asset(
            name=op_name(spec.key),
            specs=[spec],
            ins=raw_in,
            partitions_def=partitions_def,
            required_resource_keys=resource_keys,
            pool=NTROPY_POOL,
            **extra,
        )

    @raw_step(holders_spec)
    def account_holders_asset(context: AssetExecutionContext, raw: pd.DataFrame) -> dg.MaterializeResult:
        ntropy, warehouse = resources(context)
        validated = validate(context, raw)
        with api_failures():
            created, existing = ensure_account_holders(ntropy.get_client(), warehouse, validated)
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

    def submit(
        context: AssetExecutionContext, raw: pd.DataFrame
    ) -> tuple[ValidatedInput, SubmissionResult, int]:
        ntropy, warehouse = resources(context)
        validated = validate(context, raw)
        rejected = write_rejected(warehouse, partition_key_of(context), validated, log=context.log)
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

    enriched_checks = enriched_check_specs(keys_enriched, error_rate_threshold)

    upstream_key = holders_spec.key
    if not blocking:
        batches_spec = spec_for(
            NtropyAssetProps("batches", table_name="batches", deps=(raw_key,)),
            deps=[raw_key, holders_spec.key],
        )
        upstream_key = batches_spec.key

        @raw_step(batches_spec)
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

    @raw_step(enriched_spec, check_specs=enriched_checks)
    def enriched_asset(context: AssetExecutionContext, raw: pd.DataFrame) -> Iterator[Any]:
        if blocking:
            # Blocking mode: submit, wait for the batches, then fetch, all in this one step.
            validated, submission, rejected = submit(context, raw)
            ntropy, warehouse = resources(context)
            with api_failures():
                wait_for_partition(
                    ntropy.get_client(),
                    SubmissionLedger(warehouse),
                    partition_key_of(context),
                    timeout=blocking_timeout,
                    poll_interval=2.0,
                    log=context.log,
                )
            extra = submission_metadata(validated, submission, rejected)
        else:
            validated, extra = validate(context, raw), {}
        result, warehouse = store(context, validated)
        yield dg.MaterializeResult(metadata=enriched_metadata(result, warehouse) | extra)
        yield from enriched_check_results(warehouse, partition_key_of(context), result, error_rate_threshold)

    assets.append(enriched_asset)

    keys_groups = keys_income = None
    checks: list[dg.AssetChecksDefinition] = []
    if include_marts:
        mart_assets, checks = build_mart_assets(
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
        from ntropy_dagster.dagster.sensors import build_ntropy_batch_sensor

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
