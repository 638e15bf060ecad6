"""Asset checks: coverage, per-item error rate, unique ids, group references, holders refreshed, mart freshness.

Every check is declared on the step that evaluates it (``check_specs`` of the asset), so every run that
materializes an asset also evaluates its checks: none is left "not evaluated". The checks of a
partitioned asset are partitioned like it, so each result attaches to the partition the run
materialized (and a planned evaluation is completed by the result for the same partition).
"""

from __future__ import annotations  # no Dagster-decorated function here

import datetime as dt
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import sqlalchemy as sa

from ntropy_dagster.core.enrichment import EnrichResult
from ntropy_dagster.core.warehouse import Warehouse

#: The checks of the enriched-transactions asset.
ALL_VALID_ROWS_ENRICHED = "all_valid_rows_enriched"
ITEM_ERROR_RATE = "item_error_rate"
UNIQUE_TRANSACTION_IDS = "unique_transaction_ids"
#: The checks of the recurring-groups mart, evaluated in its step.
GROUPS_REFERENCE_CHECK = "groups_reference_stored_transactions"
HOLDERS_REFRESHED_CHECK = "every_holder_refreshed"
#: The check of each mart that it covers every write to the enriched table, evaluated in its step.
MART_FRESHNESS_CHECK = "not_older_than_enriched_table"
#: At most this many account holders are named in a check's description (all are in its metadata).
_NAMED_HOLDERS = 20


def partitioned_check_spec(
    name: str, *, partitions_def: dg.PartitionsDefinition | None, **kwargs: Any
) -> dg.AssetCheckSpec:
    """An ``AssetCheckSpec`` partitioned like its asset (``partitions_def``; None: unpartitioned).

    Dagster 1.13 marks a check's ``partitions_def`` as a preview and warns each time one is declared;
    it is what attaches each result to the run's partition, so the warning is not passed on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, partitions_def=partitions_def, **kwargs)


def enriched_check_specs(
    key: dg.AssetKey, threshold: float, partitions_def: dg.PartitionsDefinition | None = None
) -> list[dg.AssetCheckSpec]:
    """The checks of the enriched-transactions asset (evaluated in its step), partitioned like it."""
    return [
        partitioned_check_spec(
            ALL_VALID_ROWS_ENRICHED,
            asset=key,
            partitions_def=partitions_def,
            blocking=True,
            description="Every valid raw row of the partition has an enriched row (no batch failed).",
        ),
        partitioned_check_spec(
            ITEM_ERROR_RATE,
            asset=key,
            partitions_def=partitions_def,
            description=f"Share of transactions Ntropy returned with a per-item error is at most {threshold:.0%}.",
        ),
        partitioned_check_spec(
            UNIQUE_TRANSACTION_IDS,
            asset=key,
            partitions_def=partitions_def,
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
    expected = result.valid_rows
    yield dg.AssetCheckResult(
        check_name=ALL_VALID_ROWS_ENRICHED,
        passed=not result.failed_batch_ids and partition_rows >= expected,
        description=(
            f"batches failed for good: {result.failed_batch_ids} ({'; '.join(result.failure_messages)})"
            if result.failed_batch_ids
            else None
        ),
        metadata={
            "valid_rows": expected,
            "enriched": partition_rows,
            "failed_batch_ids": result.failed_batch_ids,
        },
    )
    rate = result.errored_items / result.rows_written if result.rows_written else 0.0
    yield dg.AssetCheckResult(
        check_name=ITEM_ERROR_RATE,
        passed=rate <= threshold,
        metadata={"error_rate": rate, "threshold": threshold, "error_codes": dict(result.error_codes)},
    )
    yield dg.AssetCheckResult(
        check_name=UNIQUE_TRANSACTION_IDS,
        passed=duplicates == 0,
        metadata={"duplicated_ids": duplicates},
    )


def recurring_groups_check_specs(
    groups_key: dg.AssetKey, enriched_key: dg.AssetKey
) -> list[dg.AssetCheckSpec]:
    """The in-step checks of the recurring-groups mart."""
    return [
        dg.AssetCheckSpec(
            GROUPS_REFERENCE_CHECK,
            asset=groups_key,
            description="Every transaction of every recurring group is in the enriched table.",
        ),
        dg.AssetCheckSpec(
            HOLDERS_REFRESHED_CHECK,
            asset=groups_key,
            description="The recurring groups of every account holder due a refresh were refreshed: none "
            "failed (an API error that outlived the retries; the holder keeps its previous groups and is "
            "tried again on the next refresh).",
        ),
        mart_freshness_check_spec(groups_key, enriched_key),
    ]


def mart_freshness_check_spec(mart_key: dg.AssetKey, enriched_key: dg.AssetKey) -> dg.AssetCheckSpec:
    """The in-step check that the mart covers every write to the enriched table."""
    return dg.AssetCheckSpec(
        MART_FRESHNESS_CHECK,
        asset=mart_key,
        description=f"The mart was refreshed after the last write to {enriched_key.to_user_string()}.",
    )


def groups_reference_result(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Whether every transaction a recurring group lists is in the enriched table."""
    missing = dangling_group_transactions(warehouse)
    return dg.AssetCheckResult(
        check_name=GROUPS_REFERENCE_CHECK,
        passed=missing == 0,
        metadata={"dangling_transaction_refs": missing},
    )


def holders_refreshed_result(failed: Mapping[str, str], refreshed: int) -> dg.AssetCheckResult:
    """Whether the refresh left no account holder behind; a failure names the holders and the reasons."""
    named = sorted(failed.items())[:_NAMED_HOLDERS]
    description = None
    if failed:
        more = f" (and {len(failed) - len(named)} more)" if len(failed) > len(named) else ""
        listing = "; ".join(f"{holder}: {reason}" for holder, reason in named)
        description = f"{len(failed)} account holder(s) not refreshed{more}: {listing}"
    return dg.AssetCheckResult(
        check_name=HOLDERS_REFRESHED_CHECK,
        passed=not failed,
        description=description,
        metadata={
            "refreshed": refreshed,
            "failed": len(failed),
            "failed_account_holders": dg.MetadataValue.json(dict(failed)),
        },
    )


def groups_freshness_result(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Whether every account holder's groups were refreshed after the holder's last enriched row.

    The recurring-groups refresh works holder by holder, so its freshness is per holder: a holder whose
    refresh failed, or whose rows arrived while the refresh ran, is named.
    """
    enriched = warehouse.tables.enriched_transactions
    holders = warehouse.tables.account_holders
    with warehouse.engine.connect() as conn:
        last_written = conn.execute(
            sa.select(enriched.c.account_holder_id, sa.func.max(enriched.c.enriched_at))
            .where(enriched.c.account_holder_id != "")
            .group_by(enriched.c.account_holder_id)
        ).all()
        refreshed = dict(
            conn.execute(sa.select(holders.c.account_holder_id, holders.c.groups_refreshed_at)).all()
        )
    stale = sorted(
        holder
        for holder, written in last_written
        if written is not None and (refreshed.get(holder) is None or _utc(refreshed[holder]) < _utc(written))
    )
    last_enriched = max((_utc(w) for _, w in last_written if w is not None), default=None)
    return dg.AssetCheckResult(
        check_name=MART_FRESHNESS_CHECK,
        passed=not stale,
        description=f"{len(stale)} account holder(s) with enriched rows newer than their groups: "
        f"{', '.join(stale[:_NAMED_HOLDERS])}"
        if stale
        else None,
        metadata={
            "last_enriched_at": str(last_enriched),
            "stale_account_holders": len(stale),
        },
    )


def income_freshness_result(warehouse: Warehouse, refresh_started: dt.datetime) -> dg.AssetCheckResult:
    """Whether nothing was written to the enriched table after the income refresh began reading it.

    The income mart is rebuilt as a whole, so it is as fresh as the moment its refresh started.
    """
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        last_written = conn.execute(sa.select(sa.func.max(enriched.c.enriched_at))).scalar()
    last_enriched = _utc(last_written) if last_written is not None else None
    return dg.AssetCheckResult(
        check_name=MART_FRESHNESS_CHECK,
        passed=last_enriched is None or last_enriched <= _utc(refresh_started),
        metadata={"last_enriched_at": str(last_enriched), "refresh_started_at": str(_utc(refresh_started))},
    )


def _utc(value: Any) -> dt.datetime:
    """A timestamp as an aware UTC datetime (a naive one, as SQLite returns them, is UTC)."""
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return (
        stamp.replace(tzinfo=dt.timezone.utc) if stamp.tzinfo is None else stamp.astimezone(dt.timezone.utc)
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
