"""What every ntropy-dagster asset module shares: the pool, metadata helpers, API-error mapping."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.client import APIError
from ntropy_dagster.core.ledger import UNPARTITIONED
from ntropy_dagster.core.warehouse import Warehouse

#: The Dagster concurrency pool every API-calling step declares. Match the API's per-key limit with
#: ``dagster instance concurrency set ntropy_api 10``.
NTROPY_POOL = "ntropy_api"

CoercibleToAssetKey = dg.AssetKey | str | Sequence[str] | dg.AssetsDefinition | dg.AssetSpec


def raw_key_of(raw: CoercibleToAssetKey) -> dg.AssetKey:
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


def op_name(key: dg.AssetKey) -> str:
    return "__".join(key.path).replace("-", "_")
