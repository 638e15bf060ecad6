"""Dagster assets of the transaction path: the factory, its steps, its checks and the marts."""

from ntropy_dagster.core.ledger import UNPARTITIONED
from ntropy_dagster.dagster.assets.common import (
    NTROPY_POOL,
    CoercibleToAssetKey,
    api_failures,
    op_name,
    partition_key_of,
    table_metadata,
)
from ntropy_dagster.dagster.assets.factory import build_ntropy_assets
from ntropy_dagster.dagster.assets.steps import StepSettings
from ntropy_dagster.dagster.pipeline import NtropyPipeline, PipelineKeys

__all__ = [
    "NTROPY_POOL",
    "UNPARTITIONED",
    "CoercibleToAssetKey",
    "NtropyPipeline",
    "PipelineKeys",
    "StepSettings",
    "api_failures",
    "build_ntropy_assets",
    "op_name",
    "partition_key_of",
    "table_metadata",
]
