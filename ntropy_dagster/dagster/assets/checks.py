"""Asset checks: coverage, per-item error rate, unique ids, group references, mart freshness."""

from __future__ import annotations  # no Dagster-decorated function here

from collections.abc import Iterator

import dagster as dg
import sqlalchemy as sa

from ntropy_dagster.core.enrichment import EnrichResult
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.warehouse import Warehouse


def enriched_check_specs(key: dg.AssetKey, threshold: float) -> list[dg.AssetCheckSpec]:
    """The checks of the enriched-transactions asset (evaluated in its step)."""
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
    """The results of :func:`enriched_check_specs` for one partition's stored results."""
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


#: The check of the recurring-groups mart, evaluated in its step.
GROUPS_REFERENCE_CHECK = "groups_reference_stored_transactions"
#: The check of each mart that its last refresh came after the last write to the enriched table.
MART_FRESHNESS_CHECK = "not_older_than_enriched_table"


def groups_reference_check_spec(groups_key: dg.AssetKey) -> dg.AssetCheckSpec:
    """The in-step check of the recurring-groups mart."""
    return dg.AssetCheckSpec(
        GROUPS_REFERENCE_CHECK,
        asset=groups_key,
        description="Every transaction of every recurring group is in the enriched table.",
    )


def groups_reference_result(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Whether every transaction a recurring group lists is in the enriched table."""
    missing = dangling_group_transactions(warehouse)
    return dg.AssetCheckResult(
        check_name=GROUPS_REFERENCE_CHECK,
        passed=missing == 0,
        metadata={"dangling_transaction_refs": missing},
    )


def mart_freshness_result(warehouse: Warehouse, logical: str) -> dg.AssetCheckResult:
    """Whether the mart ``logical`` was refreshed after the last write to the enriched table."""
    enriched = warehouse.tables.enriched_transactions
    mart = warehouse.tables[logical]
    with warehouse.engine.connect() as conn:
        last_enriched = conn.execute(sa.select(sa.func.max(enriched.c.enriched_at))).scalar()
        last_refresh = conn.execute(sa.select(sa.func.max(mart.c.refreshed_at))).scalar()
    passed = last_enriched is None or (last_refresh is not None and last_refresh >= last_enriched)
    return dg.AssetCheckResult(
        passed=passed,
        metadata={"last_enriched_at": str(last_enriched), "last_refreshed_at": str(last_refresh)},
    )


def dangling_group_transactions(warehouse: Warehouse) -> int:
    """How many recurring-group links name a transaction the enriched table does not have."""
    links = warehouse.tables.recurring_group_transactions
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(links)
            .where(~sa.exists().where(enriched.c.transaction_id == links.c.transaction_id))
        ).scalar_one()
