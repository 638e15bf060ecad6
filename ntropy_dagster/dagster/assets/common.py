"""What every ntropy-dagster asset module shares: the pool, metadata helpers, API-error mapping."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.core.ledger import UNPARTITIONED
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.failures import step_failures

#: The Dagster concurrency pool every API-calling step declares. Match the API's per-key limit with
#: ``dagster instance concurrency set ntropy_api 10``.
NTROPY_POOL = "ntropy_api"

CoercibleToAssetKey = dg.AssetKey | str | Sequence[str] | dg.AssetsDefinition | dg.AssetSpec


def raw_key_of(raw: CoercibleToAssetKey) -> dg.AssetKey:
    """The asset key of an asset given as a key, a string, a path, a definition or a spec."""
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


#: The name :func:`~ntropy_dagster.dagster.failures.step_failures` had when it covered API errors only
#: (kept for compatibility; the steps use ``step_failures``).
api_failures = step_failures


def op_name(key: dg.AssetKey) -> str:
    """The op name of the step that materializes ``key``: its parts joined by ``__``, dashes as ``_``."""
    return "__".join(key.path).replace("-", "_")
