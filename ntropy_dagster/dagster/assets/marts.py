"""The mart assets: recurring groups (from the API) and income sources (derived)."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.core.marts import refresh_income, refresh_recurring_groups
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.assets.checks import dangling_group_transactions, mart_freshness_check
from ntropy_dagster.dagster.assets.common import NTROPY_POOL, api_failures, op_name, table_metadata
from ntropy_dagster.dagster.resources import NtropyResource
from ntropy_dagster.dagster.translator import NtropyAssetProps


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
            holders = refresh_recurring_groups(
                ntropy.get_client(), warehouse, as_of_mode=as_of_mode, log=context.log
            )
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
