"""Asset checks: coverage, per-item error rate, unique ids, group references, mart freshness."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster import AssetCheckExecutionContext

from ntropy_dagster.core.enrichment import EnrichResult
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.resources import NtropyResource


def enriched_check_specs(key: dg.AssetKey, threshold: float) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "all_valid_rows_enriched",
            asset=key,
            blocking=True,
            description="Every valid raw row of the partition has an enriched row (no batch failed).",
        ),
        dg.AssetCheckSpec(
            "item_error_rate",
            asset=key,
            description=f"Share of transactions Ntropy returned with a per-item error is at most {threshold:.0%}.",
        ),
        dg.AssetCheckSpec(
            "unique_transaction_ids",
            asset=key,
            blocking=True,
            description="No transaction id appears twice in the enriched table.",
        ),
    ]


def enriched_check_results(
    warehouse: Warehouse, partition_key: str, result: EnrichResult, threshold: float
) -> Iterator[dg.AssetCheckResult]:
    table = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        partition_rows = conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.partition_key == partition_key)
        ).scalar_one()
        duplicates = conn.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(table.c.transaction_id)
                .group_by(table.c.transaction_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        ).scalar_one()
    ledger_total = sum(r.total for r in SubmissionLedger(warehouse).latest(partition_key))
    yield dg.AssetCheckResult(
        check_name="all_valid_rows_enriched",
        passed=not result.failed_batch_ids and partition_rows >= ledger_total,
        description=(
            f"batches failed for good: {result.failed_batch_ids} ({'; '.join(result.failure_messages)})"
            if result.failed_batch_ids
            else None
        ),
        metadata={
            "submitted": ledger_total,
            "enriched": partition_rows,
            "failed_batch_ids": result.failed_batch_ids,
        },
    )
    rate = result.errored_items / result.rows_written if result.rows_written else 0.0
    yield dg.AssetCheckResult(
        check_name="item_error_rate",
        passed=rate <= threshold,
        metadata={"error_rate": rate, "threshold": threshold, "error_codes": dict(result.error_codes)},
    )
    yield dg.AssetCheckResult(
        check_name="unique_transaction_ids",
        passed=duplicates == 0,
        metadata={"duplicated_ids": duplicates},
    )


def mart_freshness_check(
    mart_key: dg.AssetKey,
    logical: str,
    enriched_key: dg.AssetKey,
    resources: Callable[[Any], tuple[NtropyResource, Warehouse]],
    resource_keys: set[str],
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart_key,
        name="not_older_than_enriched_table",
        description=f"The mart was refreshed after the last write to {enriched_key.to_user_string()}.",
        required_resource_keys=resource_keys,
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        _, warehouse = resources(context)
        enriched = warehouse.tables.enriched_transactions
        mart = (
            warehouse.tables[logical]
            if hasattr(warehouse.tables, "__getitem__")
            else getattr(warehouse.tables, logical)
        )
        with warehouse.engine.connect() as conn:
            last_enriched = conn.execute(sa.select(sa.func.max(enriched.c.enriched_at))).scalar()
            last_refresh = conn.execute(sa.select(sa.func.max(mart.c.refreshed_at))).scalar()
        passed = last_enriched is None or (last_refresh is not None and last_refresh >= last_enriched)
        return dg.AssetCheckResult(
            passed=passed,
            metadata={"last_enriched_at": str(last_enriched), "last_refreshed_at": str(last_refresh)},
        )

    return _check


def dangling_group_transactions(warehouse: Warehouse) -> int:
    links = warehouse.tables.recurring_group_transactions
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(links)
            .where(~sa.exists().where(enriched.c.transaction_id == links.c.transaction_id))
        ).scalar_one()
