"""ntropy-dagster: Dagster integration for the Ntropy transaction-enrichment API (v3).

Three layers: the framework-agnostic client (:mod:`ntropy_dagster.client`), the Dagster-free core that
does the work (:mod:`ntropy_dagster.core`) and the Dagster layer that wires it (:mod:`ntropy_dagster.dagster`);
the offline, Ntropy-compatible API server is :mod:`ntropy_dagster.sandbox`. The Dagster-facing names below
are exported here. Importing this package does not import dagster until a
Dagster object is asked for, so ``import ntropy_dagster.client`` stays free of dagster.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ntropy_dagster._version import __version__

if TYPE_CHECKING:
    from ntropy_dagster.core.options import PipelineOptions, SubmitOptions
    from ntropy_dagster.core.sources import FrameIterator, ParquetSource, SqlSource, TransactionSource
    from ntropy_dagster.core.validation import INPUT_COLUMNS, ColumnMapping
    from ntropy_dagster.dagster.asset_decorator import ntropy_enrichment_asset
    from ntropy_dagster.dagster.assets import NTROPY_POOL, build_ntropy_assets
    from ntropy_dagster.dagster.components.component import NtropyEnrichmentComponent
    from ntropy_dagster.dagster.definitions import build_ntropy_definitions
    from ntropy_dagster.dagster.pipeline import NtropyPipeline, PipelineKeys
    from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource
    from ntropy_dagster.dagster.sensors import build_ntropy_batch_sensor
    from ntropy_dagster.dagster.statements import BankStatementPipeline, build_bank_statement_assets
    from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetProps

_LAZY = {
    "NTROPY_POOL": "ntropy_dagster.dagster.assets",
    "NtropyPipeline": "ntropy_dagster.dagster.pipeline",
    "PipelineKeys": "ntropy_dagster.dagster.pipeline",
    "build_ntropy_assets": "ntropy_dagster.dagster.assets",
    "ntropy_enrichment_asset": "ntropy_dagster.dagster.asset_decorator",
    "build_ntropy_definitions": "ntropy_dagster.dagster.definitions",
    "INPUT_COLUMNS": "ntropy_dagster.core.validation",
    "ColumnMapping": "ntropy_dagster.core.validation",
    "SubmitOptions": "ntropy_dagster.core.options",
    "FrameIterator": "ntropy_dagster.core.sources",
    "ParquetSource": "ntropy_dagster.core.sources",
    "SqlSource": "ntropy_dagster.core.sources",
    "TransactionSource": "ntropy_dagster.core.sources",
    "PipelineOptions": "ntropy_dagster.core.options",
    "NtropyResource": "ntropy_dagster.dagster.resources",
    "NtropyWarehouseResource": "ntropy_dagster.dagster.resources",
    "build_ntropy_batch_sensor": "ntropy_dagster.dagster.sensors",
    "BankStatementPipeline": "ntropy_dagster.dagster.statements",
    "build_bank_statement_assets": "ntropy_dagster.dagster.statements",
    "DagsterNtropyTranslator": "ntropy_dagster.dagster.translator",
    "NtropyAssetProps": "ntropy_dagster.dagster.translator",
    "NtropyEnrichmentComponent": "ntropy_dagster.dagster.components.component",
}

__all__ = [
    "INPUT_COLUMNS",
    "NTROPY_POOL",
    "BankStatementPipeline",
    "ColumnMapping",
    "DagsterNtropyTranslator",
    "FrameIterator",
    "NtropyAssetProps",
    "NtropyEnrichmentComponent",
    "NtropyPipeline",
    "NtropyResource",
    "NtropyWarehouseResource",
    "ParquetSource",
    "PipelineKeys",
    "PipelineOptions",
    "SqlSource",
    "SubmitOptions",
    "TransactionSource",
    "__version__",
    "build_bank_statement_assets",
    "build_ntropy_assets",
    "build_ntropy_batch_sensor",
    "build_ntropy_definitions",
    "ntropy_enrichment_asset",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ntropy_dagster' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
