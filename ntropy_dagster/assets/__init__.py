"""Dagster assets of the transaction path: the factory, its checks, marts and shared steps."""

from ntropy_dagster.assets.common import (
    NTROPY_POOL,
    CoercibleToAssetKey,
    api_failures,
    partition_key_of,
    table_metadata,
)
from ntropy_dagster.assets.factory import NtropyPipeline, PipelineKeys, build_ntropy_assets
from ntropy_dagster.assets.marts import refresh_income, refresh_recurring_groups
from ntropy_dagster.assets.steps import ensure_account_holders, wait_for_partition
from ntropy_dagster.pipeline.ledger import UNPARTITIONED

__all__ = [
    "NTROPY_POOL",
    "UNPARTITIONED",
    "CoercibleToAssetKey",
    "NtropyPipeline",
    "PipelineKeys",
    "api_failures",
    "build_ntropy_assets",
    "ensure_account_holders",
    "partition_key_of",
    "refresh_income",
    "refresh_recurring_groups",
    "table_metadata",
    "wait_for_partition",
]
