"""``build_bank_statement_assets``: everything the bank-statement path needs, for ``dg.Definitions``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ntropy_dagster.core.options import SubmitOptions
from ntropy_dagster.core.statements.files import DEFAULT_MAX_FILE_BYTES, StatementFolder
from ntropy_dagster.dagster.statements.assets import build_statement_assets
from ntropy_dagster.dagster.statements.checks import build_statements_processed_check
from ntropy_dagster.dagster.statements.options import (
    PARTITIONS_NAME,
    BankStatementKeys,
    BankStatementOptions,
)
from ntropy_dagster.dagster.statements.sensors import (
    DEFAULT_TICK_BUDGET_SECONDS,
    build_discovery_sensor,
    build_status_sensor,
)


@dataclass
class BankStatementPipeline:
    """Everything :func:`build_bank_statement_assets` made."""

    keys: BankStatementKeys
    assets: list[dg.AssetsDefinition]
    asset_checks: list[dg.AssetChecksDefinition] = field(default_factory=list)
    sensors: list[dg.SensorDefinition] = field(default_factory=list)
    partitions_def: dg.DynamicPartitionsDefinition | None = None
    options: BankStatementOptions | None = None


def build_bank_statement_assets(
    folder: str | os.PathLike[str] | StatementFolder,
    *,
    pattern: str = "*.pdf",
    storage_options: Mapping[str, Any] | None = None,
    verify: bool = True,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    account_holder_id: str | None = None,
    default_account_holder_type: str = "consumer",
    submit_options: SubmitOptions | None = None,
    blocking_timeout: float = 3600.0,
    poll_interval: float = 2.0,
    key_prefix: str | Sequence[str] | None = None,
    partitions_name: str = PARTITIONS_NAME,
    ntropy_resource_key: str = "ntropy",
    warehouse_resource_key: str = "ntropy_warehouse",
    discovery_interval_seconds: int = 60,
    status_interval_seconds: int = 30,
    tick_budget_seconds: float = DEFAULT_TICK_BUDGET_SECONDS,
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
        submit_options: batch settings of the enrichment submission.
        blocking_timeout: seconds a run waits for a statement job or its enrichment batches.
        poll_interval: seconds between status polls inside a run.
        key_prefix: prefix of the three asset keys.
        partitions_name: name of the dynamic partitions definition (one partition per file).

    Returns:
        a :class:`BankStatementPipeline`; ``pipeline.keys.enriched`` is the key to pass in
        ``extra_mart_deps`` of :func:`~ntropy_dagster.build_ntropy_assets`.
    """
    if default_account_holder_type not in ("consumer", "business"):
        raise ValueError(
            f"default_account_holder_type must be consumer or business, got {default_account_holder_type!r}"
        )
    if max_file_bytes < 1:
        raise ValueError("max_file_bytes must be positive")
    prefix = [key_prefix] if isinstance(key_prefix, str) else list(key_prefix or [])
    keys = BankStatementKeys(
        submitted=dg.AssetKey([*prefix, "submitted_bank_statements"]),
        transactions=dg.AssetKey([*prefix, "bank_statement_transactions"]),
        enriched=dg.AssetKey([*prefix, "bank_statement_enriched_transactions"]),
    )
    if not isinstance(folder, StatementFolder):
        folder = StatementFolder(folder, pattern=pattern, storage_options=storage_options)
    partitions_def = dg.DynamicPartitionsDefinition(name=partitions_name)
    opts = BankStatementOptions(
        folder=folder,
        partitions_def=partitions_def,
        keys=keys,
        verify=verify,
        max_file_bytes=max_file_bytes,
        account_holder_id=account_holder_id,
        default_account_holder_type=default_account_holder_type,
        submit_options=submit_options or SubmitOptions(),
        blocking_timeout=blocking_timeout,
        poll_interval=poll_interval,
        ntropy_resource_key=ntropy_resource_key,
        warehouse_resource_key=warehouse_resource_key,
    )
    sensors = [
        build_discovery_sensor(
            opts,
            minimum_interval_seconds=discovery_interval_seconds,
            tick_budget_seconds=tick_budget_seconds,
            default_status=sensor_status,
        ),
        build_status_sensor(
            opts,
            minimum_interval_seconds=status_interval_seconds,
            tick_budget_seconds=tick_budget_seconds,
            default_status=sensor_status,
        ),
    ]
    return BankStatementPipeline(
        keys=keys,
        assets=build_statement_assets(opts),
        asset_checks=[build_statements_processed_check(opts)],
        sensors=sensors,
        partitions_def=partitions_def,
        options=opts,
    )
