"""The asset factory: raw transactions -> account holders -> batches -> enriched table -> marts.

:func:`build_ntropy_assets` returns a :class:`~ntropy_dagster.dagster.pipeline.NtropyPipeline` holding the
asset definitions, their checks and the batch sensor, ready for ``dg.Definitions``. It only wires: the
specs come from the translator as they are, and every asset body calls a named step of
:mod:`ntropy_dagster.dagster.assets.steps`. Nothing here calls the API or opens a database connection at
definition time: loading the code location is free.
"""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.validation import ColumnMapping
from ntropy_dagster.dagster.assets.checks import enriched_check_specs
from ntropy_dagster.dagster.assets.common import (
    NTROPY_POOL,
    CoercibleToAssetKey,
    op_name,
    raw_key_of,
    step_retry_policy,
)
from ntropy_dagster.dagster.assets.marts import build_mart_assets
from ntropy_dagster.dagster.assets.steps import (
    EnrichedEvent,
    StepSettings,
    materialize_account_holders,
    materialize_batches,
    materialize_enriched,
)
from ntropy_dagster.dagster.automation import build_marts_automation_sensor, mart_automation_condition
from ntropy_dagster.dagster.pipeline import (
    BATCH_SENSOR_NAME,
    NTROPY_RESOURCE_KEY,
    WAREHOUSE_RESOURCE_KEY,
    NtropyPipeline,
    PipelineKeys,
)
from ntropy_dagster.dagster.sensors import build_ntropy_batch_sensor
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetName, NtropyAssetProps


@dataclass(frozen=True)
class PipelineSpecs:
    """The spec of every asset of one pipeline, as the translator returned it."""

    account_holders: dg.AssetSpec
    batches: dg.AssetSpec | None
    enriched: dg.AssetSpec
    recurring_groups: dg.AssetSpec | None
    income: dg.AssetSpec | None

    def keys(self, raw_key: dg.AssetKey) -> PipelineKeys:
        """The asset keys, for the steps, the sensor and the caller."""
        return PipelineKeys(
            raw=raw_key,
            account_holders=self.account_holders.key,
            batches=self.batches.key if self.batches else None,
            enriched=self.enriched.key,
            recurring_groups=self.recurring_groups.key if self.recurring_groups else None,
            income=self.income.key if self.income else None,
        )


def pipeline_specs(
    translator: DagsterNtropyTranslator,
    raw_key: dg.AssetKey,
    *,
    blocking: bool,
    include_marts: bool,
    extra_mart_deps: Sequence[dg.AssetKey],
    **common: Any,
) -> PipelineSpecs:
    """Ask the translator for each spec; each spec's key feeds the next one's deps.

    ``common`` holds the props every asset shares (owners, tags, dialect).
    """

    def spec(name: NtropyAssetName, **props: Any) -> dg.AssetSpec:
        return translator.get_asset_spec(NtropyAssetProps(name, **props, **common))

    holders = spec("account_holders", deps=(raw_key,))
    batches = None if blocking else spec("batches", table_name="batches", deps=(raw_key, holders.key))
    upstream = holders if batches is None else batches
    # Sensor mode: a run that finds the partition's batches still processing ends the enriched step
    # without materializing it (the batch sensor requests it when they finish).
    enriched = spec(
        "enriched_transactions",
        table_name="enriched_transactions",
        deps=(raw_key, upstream.key),
        skippable=not blocking,
    )
    if not include_marts:
        return PipelineSpecs(holders, batches, enriched, None, None)
    extra = tuple(extra_mart_deps)
    groups = spec(
        "recurring_groups",
        table_name="recurring_groups",
        deps=(enriched.key, *extra),
        automation_condition=mart_automation_condition(),
    )
    income = spec(
        "income",
        table_name="income_sources",
        deps=(groups.key, enriched.key, *extra),
        automation_condition=mart_automation_condition(upstream_marts=[groups.key]),
    )
    return PipelineSpecs(holders, batches, enriched, groups, income)


def _raw_step(
    spec: dg.AssetSpec, settings: StepSettings, partitions_def: dg.PartitionsDefinition | None, **extra: Any
) -> Any:
    """The decorator of a step that reads the raw partition and calls the API (retried on failures that
    may heal, see :func:`~ntropy_dagster.dagster.assets.common.step_retry_policy`)."""
    return dg.multi_asset(
        name=op_name(spec.key),
        specs=[spec],
        ins={"raw": dg.AssetIn(key=settings.keys.raw)},
        partitions_def=partitions_def,
        required_resource_keys=settings.resource_keys,
        pool=NTROPY_POOL,
        retry_policy=step_retry_policy(settings.options),
        **extra,
    )


def raw_asset(
    spec: dg.AssetSpec,
    settings: StepSettings,
    partitions_def: dg.PartitionsDefinition | None,
    step: Callable[[AssetExecutionContext, Any, StepSettings], dg.MaterializeResult],
) -> dg.AssetsDefinition:
    """An asset of one materialization that reads the raw partition: account holders, batches."""

    @_raw_step(spec, settings, partitions_def)
    def _asset(context: AssetExecutionContext, raw: Any) -> dg.MaterializeResult:  # a frame or a source
        return step(context, raw, settings)

    return _asset


def enriched_asset(
    spec: dg.AssetSpec, settings: StepSettings, partitions_def: dg.PartitionsDefinition | None
) -> dg.AssetsDefinition:
    """The enriched-transactions asset with its checks.

    A skippable spec (sensor mode) makes the step subsettable: in Dagster 1.13 that is what makes its
    check outputs optional, so a run that skips the asset leaves its checks unevaluated (not failed).
    """
    checks = enriched_check_specs(spec.key, settings.options.error_rate_threshold, partitions_def)

    @_raw_step(spec, settings, partitions_def, check_specs=checks, can_subset=spec.skippable)
    def _enriched(context: AssetExecutionContext, raw: Any) -> Iterator[EnrichedEvent]:
        yield from materialize_enriched(context, raw, settings)

    return _enriched


def pipeline_assets(
    specs: PipelineSpecs, settings: StepSettings, partitions_def: dg.PartitionsDefinition | None
) -> NtropyPipeline:
    """The assets and checks of the specs, each asset calling its step."""
    pipeline = NtropyPipeline(keys=settings.keys, assets=[], partitions_def=partitions_def)
    holders = raw_asset(specs.account_holders, settings, partitions_def, materialize_account_holders)
    pipeline.assets.append(holders)
    if specs.batches is not None:
        pipeline.assets.append(raw_asset(specs.batches, settings, partitions_def, materialize_batches))
    pipeline.assets.append(enriched_asset(specs.enriched, settings, partitions_def))
    if specs.recurring_groups is not None and specs.income is not None:
        pipeline.assets.extend(build_mart_assets(specs.recurring_groups, specs.income, settings))
    return pipeline


def batch_sensor(
    settings: StepSettings,
    name: str,
    default_status: dg.DefaultSensorStatus,
    partitions_def: dg.PartitionsDefinition | None,
) -> dg.SensorDefinition:
    """The batch sensor of a sensor-mode pipeline, on the steps' resources and options."""
    return build_ntropy_batch_sensor(
        settings.keys,
        name=name,
        options=settings.options,
        ntropy_resource_key=settings.ntropy_resource_key,
        warehouse_resource_key=settings.warehouse_resource_key,
        default_status=default_status,
        partitions_def=partitions_def,
    )


def build_ntropy_assets(
    raw_transactions: CoercibleToAssetKey,
    *,
    partitions_def: dg.PartitionsDefinition | None = None,
    column_mapping: ColumnMapping | None = None,
    translator: DagsterNtropyTranslator | None = None,
    options: PipelineOptions | None = None,
    blocking: bool = False,
    include_marts: bool = True,
    extra_mart_deps: Sequence[dg.AssetKey] = (),
    owners: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    dialect: str | None = None,
    ntropy_resource_key: str = NTROPY_RESOURCE_KEY,
    warehouse_resource_key: str = WAREHOUSE_RESOURCE_KEY,
    sensor_name: str = BATCH_SENSOR_NAME,
    sensor_default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> NtropyPipeline:
    """Build the Ntropy enrichment assets downstream of your raw-transactions asset.

    Args:
        raw_transactions: the asset holding raw transactions as a pandas DataFrame (loaded through its
            IO manager), one partition per day by default. Columns: see
            :data:`ntropy_dagster.core.validation.INPUT_COLUMNS`; map other names with ``column_mapping``.
        partitions_def: partitions of the raw asset and of the enrichment assets. Defaults to the raw
            asset's partitions when an AssetsDefinition is passed; None = unpartitioned.
        translator: decides every asset's spec (key, group, description, kinds, deps, owners, tags,
            automation condition); its specs are used as they are.
        options: every setting of the pipeline (batch size, attempts, in-flight cap, blocking timeout,
            error-rate threshold, marts mode, sensor interval and tick budget); defaults:
            ``PipelineOptions()``.
        blocking: if True, one ``enriched_transactions`` step submits and waits for the batches (no
            sensor, no daemon needed); else ``ntropy_batches`` submits and the batch sensor requests
            the enrichment run when the remote work is done.
        include_marts: add the recurring-groups and income marts.
        extra_mart_deps: other assets that write to the enriched table (e.g. the bank-statement
            path); the marts depend on them too.
        owners, tags, dialect: handed to the translator for every asset (the dialect of the warehouse,
            e.g. ``postgresql``, is shown as a kind of the table assets).
        ntropy_resource_key, warehouse_resource_key: the resources the steps and the sensor use.
        sensor_name, sensor_default_status: the batch sensor's name (sensor mode) and the initial status of
            the pipeline's sensors: the batch sensor and, with the marts, the marts automation sensor
            (:func:`~ntropy_dagster.dagster.automation.build_marts_automation_sensor`).
    """
    translator = translator or DagsterNtropyTranslator()
    options = options or PipelineOptions()
    if partitions_def is None and isinstance(raw_transactions, dg.AssetsDefinition):
        partitions_def = raw_transactions.partitions_def
    raw_key = raw_key_of(raw_transactions)
    specs = pipeline_specs(
        translator,
        raw_key,
        blocking=blocking,
        include_marts=include_marts,
        extra_mart_deps=extra_mart_deps,
        owners=tuple(owners or ()),
        tags=dict(tags or {}),
        dialect=dialect,
    )
    keys = specs.keys(raw_key)
    settings = StepSettings(
        keys, options, column_mapping, ntropy_resource_key, warehouse_resource_key, blocking=blocking
    )
    pipeline = pipeline_assets(specs, settings, partitions_def)
    if not blocking:
        pipeline.sensors.append(batch_sensor(settings, sensor_name, sensor_default_status, partitions_def))
    if include_marts:
        pipeline.sensors.append(
            build_marts_automation_sensor(keys, options=options, default_status=sensor_default_status)
        )
    return pipeline
