"""What every ntropy-dagster asset module shares: the pool, the step retry policy, metadata helpers."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.core.ledger import UNPARTITIONED
from ntropy_dagster.core.options import PipelineOptions
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


def step_retry_policy(options: PipelineOptions) -> dg.RetryPolicy | None:
    """The retry policy of every step that calls the API: ``options.step_max_retries`` retries, the wait
    growing exponentially from ``options.step_retry_delay_seconds`` with jitter (None: no retries).

    Only failures that may heal are retried: :func:`~ntropy_dagster.dagster.failures.step_failures`
    fails the step for good (``allow_retries=False``) on errors that are not retryable.
    """
    if options.step_max_retries == 0:
        return None
    return dg.RetryPolicy(
        max_retries=options.step_max_retries,
        delay=options.step_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


#: The metadata key of the whole table's row count (``dagster/row_count`` is the materialization's own:
#: the partition's rows on a partitioned asset).
TABLE_ROW_COUNT = "ntropy/table_row_count"


def table_metadata(warehouse: Warehouse, logical: str, row_count: int, **extra: Any) -> dict[str, Any]:
    """The standard table metadata: row count, table name, column schema and the table's row count.

    ``row_count`` (``dagster/row_count``) counts the rows this materialization stands for: the
    partition's on a partitioned asset, the table's on an unpartitioned one. The whole table's count
    (:data:`TABLE_ROW_COUNT`) is added; ``extra`` may carry it already counted.
    """
    columns = [
        dg.TableColumn(name, type_str, description=description)
        for name, type_str, description in warehouse.column_schema(logical)
    ]
    return {
        "dagster/row_count": row_count,
        "dagster/table_name": warehouse.table_name(logical),
        "dagster/column_schema": dg.TableSchema(columns=columns),
        **extra,
        TABLE_ROW_COUNT: extra[TABLE_ROW_COUNT] if TABLE_ROW_COUNT in extra else warehouse.count(logical),
    }


#: The name :func:`~ntropy_dagster.dagster.failures.step_failures` had when it covered API errors only
#: (kept for compatibility; the steps use ``step_failures``).
api_failures = step_failures


def op_name(key: dg.AssetKey) -> str:
    """The op name of the step that materializes ``key``: its parts joined by ``__``, dashes as ``_``."""
    return "__".join(key.path).replace("-", "_")
