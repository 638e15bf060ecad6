"""``build_bank_statement_assets``: everything the bank-statement path needs, for ``dg.Definitions``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.statements.files import DEFAULT_MAX_FILE_BYTES, StatementFolder
from ntropy_dagster.dagster.statements.assets import build_statement_assets
from ntropy_dagster.dagster.statements.checks import (
    build_statements_check_sensor,
    build_statements_processed_check,
)
from ntropy_dagster.dagster.statements.options import PARTITIONS_NAME, BankStatementKeys, BankStatementOptions
from ntropy_dagster.dagster.statements.sensors import build_discovery_sensor, build_status_sensor
from ntropy_dagster.dagster.statements.specs import BankStatementSpecs, build_statement_specs
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator


@dataclass
class BankStatementPipeline:
    """Everything :func:`build_bank_statement_assets` made."""

    keys: BankStatementKeys
    assets: list[dg.AssetsDefinition]
    asset_checks: list[dg.AssetChecksDefinition] = field(default_factory=list)
    sensors: list[dg.SensorDefinition] = field(default_factory=list)
    partitions_def: dg.DynamicPartitionsDefinition | None = None
    options: BankStatementOptions | None = None
    specs: BankStatementSpecs | None = None


def build_bank_statement_assets(
    folder: str | os.PathLike[str] | StatementFolder,
    *,
    pattern: str = "*.pdf",
    storage_options: Mapping[str, Any] | None = None,
    verify: bool = True,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    account_holder_id: str | None = None,
    default_account_holder_type: str = "consumer",
    options: PipelineOptions | None = None,
    translator: DagsterNtropyTranslator | None = None,
    key_prefix: str | Sequence[str] | None = None,
    dialect: str | None = None,
    owners: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    partitions_name: str = PARTITIONS_NAME,
    ntropy_resource_key: str = "ntropy",
    warehouse_resource_key: str = "ntropy_warehouse",
    sensor_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> BankStatementPipeline:
    """Build the bank-statement assets, checks and sensors for one folder of PDF statements.

    Args:
        folder: a local directory, or any fsspec URL (``s3://bucket/statements``; needs ``fsspec`` and the
            filesystem's package, which are not dependencies of ntropy-dagster).
        pattern: case-insensitive glob of the files to pick up (sub-folders are not searched).
        storage_options: passed to fsspec for URLs.
        verify: call fast verification after the upload to record institution, holder and accounts early.
        max_file_bytes: larger files are rejected without upload (Assumption: the API limit is 50 MB).
        account_holder_id: the Ntropy account holder of every statement in this folder; by default each
            statement gets ``stmt-<hash of holder name and account number>``.
        default_account_holder_type: used when verification does not say consumer or business.
        options: the settings shared with the transaction path: ``blocking_timeout`` and
            ``poll_interval`` (a run's wait for its statement job and enrichment batches), the batch
            settings of the enrichment, ``discovery_interval_seconds`` and ``sensor_interval_seconds``
            (the discovery and status sensors' intervals) and ``tick_budget_seconds``.
        translator: decides the three assets' specs (keys, group, description, kinds, owners, tags),
            used as it returns them.
        key_prefix: prefix of the three asset keys.
        dialect: the warehouse's SQL dialect, shown as a kind (``sqlite``, ``duckdb``, ``postgresql``).
        owners, tags: put on every statement asset.
        partitions_name: name of the dynamic partitions definition (one partition per file).
        sensor_status: the default status of its sensors (discovery, job status, checks automation).

    Returns:
        a :class:`BankStatementPipeline`; ``pipeline.keys.enriched`` is the key to pass in
        ``extra_mart_deps`` of :func:`~ntropy_dagster.build_ntropy_assets`.
    """
    specs = build_statement_specs(
        translator or DagsterNtropyTranslator(),
        key_prefix=[key_prefix] if isinstance(key_prefix, str) else list(key_prefix or []),
        dialect=dialect,
        owners=tuple(owners or ()),
        tags=tags,
    )
    if not isinstance(folder, StatementFolder):
        folder = StatementFolder(folder, pattern=pattern, storage_options=storage_options)
    partitions_def = dg.DynamicPartitionsDefinition(name=partitions_name)
    opts = BankStatementOptions(
        folder=folder,
        partitions_def=partitions_def,
        keys=specs.keys,
        verify=verify,
        max_file_bytes=max_file_bytes,
        account_holder_id=account_holder_id,
        default_account_holder_type=default_account_holder_type,
        options=options or PipelineOptions(),
        ntropy_resource_key=ntropy_resource_key,
        warehouse_resource_key=warehouse_resource_key,
    )
    return BankStatementPipeline(
        keys=opts.keys,
        assets=build_statement_assets(opts, specs),
        asset_checks=[build_statements_processed_check(opts)],
        sensors=[
            build_discovery_sensor(opts, default_status=sensor_status),
            build_status_sensor(opts, default_status=sensor_status),
            build_statements_check_sensor(opts, default_status=sensor_status),
        ],
        partitions_def=partitions_def,
        options=opts,
        specs=specs,
    )
