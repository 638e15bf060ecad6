"""Dagster assets of the transaction path: the factory, its checks and the marts."""

from ntropy_dagster.core.ledger import UNPARTITIONED
from ntropy_dagster.dagster.assets.common import (
    NTROPY_POOL,
    CoercibleToAssetKey,
    api_failures,
    partition_key_of,
    table_metadata,
)
from ntropy_dagster.dagster.assets.factory import NtropyPipeline, PipelineKeys, build_ntropy_assets

__all__ = [
    "NTROPY_POOL",
    "UNPARTITIONED",
    "CoercibleToAssetKey",
    "NtropyPipeline",
    "PipelineKeys",
    "api_failures",
    "build_ntropy_assets",
    "partition_key_of",
    "table_metadata",
]
