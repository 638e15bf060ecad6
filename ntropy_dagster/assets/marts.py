"""The mart assets: recurring groups (from the API) and income sources (derived), with their refresh."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from dagster import AssetExecutionContext

from ntropy_dagster.assets.checks import dangling_group_transactions, mart_freshness_check
from ntropy_dagster.assets.common import NTROPY_POOL, api_failures, op_name, table_metadata
from ntropy_dagster.marts import INCOME_TRANSACTION_COLUMNS, income_source_rows, recurring_group_rows
from ntropy_dagster.pipeline.ledger import utcnow
from ntropy_dagster.resources import NtropyResource
from ntropy_dagster.translator import NtropyAssetProps
from ntropy_dagster.warehouse import Warehouse


def build_mart_assets(
    spec_for: Callable[..., dg.AssetSpec],
    enriched_key: dg.AssetKey,
    extra_deps: list[dg.AssetKey],
    resources: Callable[[Any], tuple[NtropyResource, Warehouse]],
    resource_keys: set[str],
    *,
    as_of_mode: str,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    automation = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
    groups_spec = spec_for(
        NtropyAssetProps("recurring_groups", table_name="recurring_groups"),
        deps=[enriched_key, *extra_deps],
        automation_condition=automation,
    )
    income_spec = spec_for(
        NtropyAssetProps("income", table_name="income_sources"),
        deps=[groups_spec.key, enriched_key, *extra_deps],
        automation_condition=automation,
    )

    @dg.multi_asset(
        name=op_name(groups_spec.key),
        specs=[groups_spec],
        required_resource_keys=resource_keys,
        pool=NTROPY_POOL,
        check_specs=[
            dg.AssetCheckSpec(
                "groups_reference_stored_transactions",
                asset=groups_spec.key,
                description="Every transaction of every recurring group is in the enriched table.",
            )
        ],
    )
    def recurring_groups_asset(context: AssetExecutionContext) -> Iterator[Any]:
        ntropy, warehouse = resources(context)
        with api_failures():
            holders = refresh_recurring_groups(ntropy, warehouse, as_of_mode=as_of_mode, log=context.log)
        missing = dangling_group_transactions(warehouse)
        yield dg.MaterializeResult(
            metadata=table_metadata(
                warehouse,
                "recurring_groups",
                warehouse.count("recurring_groups"),
                **{"ntropy/account_holders_refreshed": len(holders)},
            )
        )
        yield dg.AssetCheckResult(
            check_name="groups_reference_stored_transactions",
            passed=missing == 0,
            metadata={"dangling_transaction_refs": missing},
        )

    @dg.multi_asset(name=op_name(income_spec.key), specs=[income_spec], required_resource_keys=resource_keys)
    def income_asset(context: AssetExecutionContext) -> dg.MaterializeResult:
        _, warehouse = resources(context)
        sources = refresh_income(warehouse, as_of_mode=as_of_mode)
        return dg.MaterializeResult(
            metadata=table_metadata(
                warehouse, "income_sources", warehouse.count("income_sources"), **{"ntropy/sources": sources}
            )
        )

    freshness_checks = [
        mart_freshness_check(spec.key, logical, enriched_key, resources, resource_keys)
        for spec, logical in ((groups_spec, "recurring_groups"), (income_spec, "income_sources"))
    ]
    return [recurring_groups_asset, income_asset], freshness_checks


def refresh_recurring_groups(
    ntropy: NtropyResource, warehouse: Warehouse, *, as_of_mode: str = "data", log: Any = None
) -> list[str]:
    """Refresh the recurring groups of every account holder with enriched rows newer than its groups.

    Returns the account holders refreshed. Each holder's groups replace its previous ones.
    """
    enriched = warehouse.tables.enriched_transactions
    holders_t = warehouse.tables.account_holders
    with warehouse.engine.connect() as conn:
        latest = conn.execute(
            sa.select(
                enriched.c.account_holder_id,
                sa.func.max(enriched.c.enriched_at),
                sa.func.max(enriched.c.date),
            )
            .where(enriched.c.account_holder_id != "")
            .group_by(enriched.c.account_holder_id)
        ).all()
        refreshed = dict(
            conn.execute(sa.select(holders_t.c.account_holder_id, holders_t.c.groups_refreshed_at)).all()
        )
    client = ntropy.get_client()
    done: list[str] = []
    today = dt.date.today()
    for holder_id, last_enriched, last_date in latest:
        previous = refreshed.get(holder_id)
        if previous is not None and last_enriched is not None and _naive(previous) >= _naive(last_enriched):
            continue
        groups = [g.model_dump(mode="json") for g in client.account_holders.recurring_groups(holder_id)]
        as_of = today if as_of_mode == "today" else _as_date(last_date) or today
        amounts, currencies = _transaction_facts(warehouse, holder_id)
        group_rows, link_rows = recurring_group_rows(
            groups, account_holder_id=holder_id, as_of=as_of, currency_by_tx=currencies, amounts_by_tx=amounts
        )
        now = utcnow()
        for row in group_rows:
            row["refreshed_at"] = now
        warehouse.delete_where("recurring_group_transactions", account_holder_id=holder_id)
        warehouse.delete_where("recurring_groups", account_holder_id=holder_id)
        if group_rows:
            warehouse.upsert("recurring_groups", group_rows)
        if link_rows:
            warehouse.upsert("recurring_group_transactions", link_rows)
        with warehouse.begin() as conn:
            conn.execute(
                sa.update(holders_t)
                .where(holders_t.c.account_holder_id == holder_id)
                .values(groups_refreshed_at=now)
            )
        if log is not None:
            log.info(f"Account holder {holder_id}: {len(group_rows)} recurring group(s)")
        done.append(holder_id)
    return done


def refresh_income(warehouse: Warehouse, *, as_of_mode: str = "data", holders_per_chunk: int = 500) -> int:
    """Rebuild the income-sources mart from the recurring groups and incoming enriched transactions.

    Works through account holders in chunks so memory stays bounded. Returns the number of sources.
    """
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        holders = [
            r[0]
            for r in conn.execute(
                sa.select(enriched.c.account_holder_id)
                .where(enriched.c.account_holder_id != "")
                .distinct()
                .order_by(enriched.c.account_holder_id)
            )
        ]
    total = 0
    now = utcnow()
    for start in range(0, len(holders), holders_per_chunk):
        chunk = holders[start : start + holders_per_chunk]
        groups = warehouse.read_frame(
            sa.select(warehouse.tables.recurring_groups).where(
                warehouse.tables.recurring_groups.c.account_holder_id.in_(chunk)
            )
        )
        incoming = warehouse.read_frame(
            sa.select(*(enriched.c[c] for c in INCOME_TRANSACTION_COLUMNS)).where(
                enriched.c.account_holder_id.in_(chunk) & (enriched.c.entry_type == "incoming")
            )
        )
        as_of = dt.date.today()
        if as_of_mode == "data" and not incoming.empty:
            as_of = _as_date(pd.to_datetime(incoming["date"]).max()) or as_of
        rows = income_source_rows(groups.to_dict("records"), incoming, as_of=as_of)
        for row in rows:
            row["refreshed_at"] = now
        for holder_id in chunk:
            warehouse.delete_where("income_sources", account_holder_id=holder_id)
        if rows:
            warehouse.upsert("income_sources", rows)
        total += len(rows)
    return total


def _transaction_facts(warehouse: Warehouse, holder_id: str) -> tuple[dict[str, float], dict[str, str]]:
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        rows = conn.execute(
            sa.select(enriched.c.transaction_id, enriched.c.amount, enriched.c.currency).where(
                enriched.c.account_holder_id == holder_id
            )
        ).all()
    return {r[0]: float(r[1]) for r in rows}, {r[0]: r[2] for r in rows}


def _naive(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
