"""The mart assets: recurring groups (from the API) and income sources (derived), with their checks."""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Iterator

import dagster as dg
from dagster import AssetCheckExecutionContext, AssetExecutionContext

from ntropy_dagster.dagster.assets.checks import MART_FRESHNESS_CHECK, groups_reference_check_spec
from ntropy_dagster.dagster.assets.common import NTROPY_POOL, op_name
from ntropy_dagster.dagster.assets.steps import (
    EnrichedEvent,
    StepSettings,
    check_mart_freshness,
    materialize_income,
    materialize_recurring_groups,
)


def mart_automation_condition() -> dg.AutomationCondition:
    """The marts refresh when the enriched table changes and its blocking checks passed."""
    return dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


def recurring_groups_asset(spec: dg.AssetSpec, settings: StepSettings) -> dg.AssetsDefinition:
    """The recurring-groups mart (calls the API, so it takes a slot of the pool)."""

    @dg.multi_asset(
        name=op_name(spec.key),
        specs=[spec],
        required_resource_keys=settings.resource_keys,
        pool=NTROPY_POOL,
        check_specs=[groups_reference_check_spec(spec.key)],
    )
    def _recurring_groups(context: AssetExecutionContext) -> Iterator[EnrichedEvent]:
        yield from materialize_recurring_groups(context, settings)

    return _recurring_groups


def income_asset(spec: dg.AssetSpec, settings: StepSettings) -> dg.AssetsDefinition:
    """The income mart (derived in the warehouse, no API call)."""

    @dg.multi_asset(name=op_name(spec.key), specs=[spec], required_resource_keys=settings.resource_keys)
    def _income(context: AssetExecutionContext) -> dg.MaterializeResult:
        return materialize_income(context, settings)

    return _income


def mart_freshness_check(
    mart_key: dg.AssetKey, logical: str, settings: StepSettings
) -> dg.AssetChecksDefinition:
    """The check that the mart table ``logical`` was refreshed after the last enriched write."""

    @dg.asset_check(
        asset=mart_key,
        name=MART_FRESHNESS_CHECK,
        description=f"The mart was refreshed after the last write to {settings.keys.enriched.to_user_string()}.",
        required_resource_keys=settings.resource_keys,
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return check_mart_freshness(context, settings, logical)

    return _check


def build_mart_assets(
    groups_spec: dg.AssetSpec, income_spec: dg.AssetSpec, settings: StepSettings
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """Both marts and their freshness checks."""
    checks = [
        mart_freshness_check(groups_spec.key, "recurring_groups", settings),
        mart_freshness_check(income_spec.key, "income_sources", settings),
    ]
    return [recurring_groups_asset(groups_spec, settings), income_asset(income_spec, settings)], checks
